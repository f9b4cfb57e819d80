package dev.fulcrum.routing;

import java.util.Optional;

/** Method names a route may list: RFC 9110 tokens, and in upper case, as every request sends the standard ones. */
final class Methods {

    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

    private Methods() {
    }

    static Optional<String> invalid(String method) {
        String accepted = "accepted: a method name in upper case, such as GET or POST";
        if (method == null || method.isEmpty()) {
            return Optional.of("an empty method; " + accepted);
        }
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (c >= 'a' && c <= 'z') {
                // Methods are case-sensitive (RFC 9110 §9.1): "get" would never match a GET.
                return Optional.of("\"" + method + "\" is not upper case, and methods are case-sensitive; " + accepted);
            }
            if (!(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || TOKEN_SYMBOLS.indexOf(c) >= 0)) {
                return Optional.of("\"" + method + "\" has '" + c + "', which no method has; " + accepted);
            }
        }
        return Optional.empty();
    }
}
