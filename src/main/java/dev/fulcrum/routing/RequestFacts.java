package dev.fulcrum.routing;

/**
 * What the route table may ask of a request. The caller adapts its own request type; the table asks only for
 * what some candidate route needs, so a table without header routes never looks at a header.
 */
public interface RequestFacts {

    /** The host the request names (Host, or :authority in HTTP/2), as sent, a port allowed; null when it names none. */
    String host();

    /** The path as sent, without the query; not decoded, so {@code /a%2Fb} is one segment. */
    String path();

    /** The method, case-sensitive as RFC 9110 §9.1 has it. */
    String method();

    /** The first value of the header, or null when it is absent; the name is given in lower case. */
    String header(String lowerCaseName);

    /** The first value of the query parameter, percent-decoded, or null when it is absent. */
    String queryParam(String name);
}
