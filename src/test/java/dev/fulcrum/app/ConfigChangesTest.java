package dev.fulcrum.app;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.FulcrumConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The reload log line (README, Live reload). */
class ConfigChangesTest {

    private static FulcrumConfig parse(String fields) {
        return ConfigParser.parse("{\"servers\": [\"http://a:1\", {\"url\": \"http://b:2\", \"weight\": 2}]" + fields + "}");
    }

    @Test
    void anExpectedStatusIsOneValueAsTheFileSpellsIt() {
        assertEquals("healthCheck.expectedStatus 200-499 -> 200-299,404", ConfigChanges.describe(parse(""),
                parse(", \"healthCheck\": {\"expectedStatus\": \"200-299,404\"}")));
    }

    @Test
    void namesEachChangedFieldWithItsOldAndNewValue() {
        FulcrumConfig before = parse(", \"requestTimeout\": \"1m\"");
        FulcrumConfig after = ConfigParser.parse("""
                {"servers": ["http://a:1", {"url": "http://b:2", "weight": 3}, "http://c:3"], "requestTimeout": "30s",
                 "healthCheck": {"path": "/healthz"}}""");

        assertEquals("healthCheck.path / -> /healthz, requestTimeout 1m -> 30s, "
                + "servers +http://c:3 http://b:2 weight 2 -> 3", ConfigChanges.describe(before, after));
    }

    /** A field read only at start is no silent no-op: the line says when it counts. */
    @Test
    void aWarmUpEditSaysItCountsAtTheNextStart() {
        assertEquals("warmUp 30s -> 5s (used at the next start)", ConfigChanges.describe(parse(""), parse(", \"warmUp\": \"5s\"")));
    }

    /** The catalogue's fields in the file's own names; an object that appears is shown with its fields. */
    @Test
    void hashingAndStickyEditsUseTheFilesNames() {
        FulcrumConfig before = parse(", \"algorithm\": \"maglev\"");
        FulcrumConfig after = parse(", \"algorithm\": \"maglev\", \"hashKey\": \"header:X-User\", \"maglevTableSize\": 101,"
                + " \"stickyCookie\": {\"name\": \"srv\", \"maxAge\": \"1h\"}");

        assertEquals("hashKey client-ip -> header:x-user, maglevTableSize 65537 -> 101, stickyCookie (none) -> {name: srv,"
                + " maxAge: 1h, secure: false, httpOnly: true, sameSite: Lax}", ConfigChanges.describe(before, after));
    }

    @Test
    void poolsAddedRemovedAndChangedAreNamed() {
        FulcrumConfig before = ConfigParser.parse("""
                {"servers": ["http://a:1"], "pools": {"api": {"servers": ["http://api:1"]}, "old": {"servers": ["http://o:1"]}}}""");
        FulcrumConfig after = ConfigParser.parse("""
                {"servers": ["http://a:1"], "pools": {"api": {"servers": ["http://api:1", "http://api:2"], "algorithm": "maglev"},
                 "static": {"servers": ["http://s:1"]}}}""");

        assertEquals("pools +static -old, pools.api.algorithm least-busy -> maglev, pools.api.servers +http://api:2",
                ConfigChanges.describe(before, after));
    }

    @Test
    void routesChangedAddedAndRemovedAreNamedByIndexAsTheFileSpellsThem() {
        String pools = "\"pools\": {\"api\": {\"servers\": [\"http://api:1\"]}, \"v2\": {\"servers\": [\"http://v2:1\"]}}";
        FulcrumConfig before = ConfigParser.parse("{" + pools + ", \"routes\": [{\"match\": {\"pathPrefix\": \"/api\"},"
                + " \"pool\": \"api\"}, {\"match\": {\"host\": \"old.test\"}, \"redirect\": {\"host\": \"new.test\"}},"
                + " {\"pool\": \"v2\"}]}");
        FulcrumConfig after = ConfigParser.parse("{" + pools + ", \"routes\": [{\"match\": {\"pathPrefix\": \"/api\"},"
                + " \"pools\": {\"api\": 90, \"v2\": 10}, \"stripPrefix\": true}, {\"match\": {\"host\": \"old.test\"},"
                + " \"redirect\": {\"host\": \"new.test\"}}]}");

        assertEquals("routes[0] {\"match\": {\"pathPrefix\": \"/api\"}, \"pool\": \"api\"} -> {\"match\": {\"pathPrefix\":"
                + " \"/api\"}, \"pools\": {\"api\": 90, \"v2\": 10}, \"stripPrefix\": true}, routes[2] -{\"pool\": \"v2\"}",
                ConfigChanges.describe(before, after));
    }
}
