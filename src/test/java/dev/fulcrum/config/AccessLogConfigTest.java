package dev.fulcrum.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.fulcrum.config.ConfigParserTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@code accessLog} and {@code requestIdHeader}: optional, with their defaults, and each mistake named. */
class AccessLogConfigTest {

    private static FulcrumConfig parse(JsonObject fields) {
        return ConfigParser.parse(fields.put("servers", new io.vertx.core.json.JsonArray().add("http://127.0.0.1:1")).encode());
    }

    @Test
    void offByDefaultWithRequestIdsInXRequestId() {
        FulcrumConfig config = parse(new JsonObject());
        assertNull(config.accessLog());
        assertEquals("X-Request-Id", config.requestIdHeader());
    }

    @Test
    void stdoutOrAnAbsoluteFileInJsonByDefaultOrCombined(@TempDir Path dir) {
        assertEquals(new AccessLogSettings("stdout", AccessLogSettings.Format.JSON),
                parse(new JsonObject().put("accessLog", new JsonObject().put("path", "stdout"))).accessLog());
        String file = dir.resolve("access.log").toString();
        assertEquals(new AccessLogSettings(file, AccessLogSettings.Format.COMBINED),
                parse(new JsonObject().put("accessLog", new JsonObject().put("path", file).put("format", "combined"))).accessLog());
    }

    @Test
    void badAccessLogSettingsAreNamed(@TempDir Path dir) {
        assertError("accessLog.path: missing; give \"stdout\" or an absolute file path",
                () -> parse(new JsonObject().put("accessLog", new JsonObject())));
        assertError("accessLog.path: \"logs/access.log\" must be \"stdout\" or an absolute path",
                () -> parse(new JsonObject().put("accessLog", new JsonObject().put("path", "logs/access.log"))));
        assertError("accessLog.path: \"/no/such/dir/access.log\": its directory does not exist",
                () -> parse(new JsonObject().put("accessLog", new JsonObject().put("path", "/no/such/dir/access.log"))));
        assertError("is a directory",
                () -> parse(new JsonObject().put("accessLog", new JsonObject().put("path", dir.toString()))));
        assertError("accessLog.format: \"apache\" is not one of json, combined",
                () -> parse(new JsonObject().put("accessLog", new JsonObject().put("path", "stdout").put("format", "apache"))));
        assertError("accessLog.fromat: unknown field",
                () -> parse(new JsonObject().put("accessLog", new JsonObject().put("path", "stdout").put("fromat", "json"))));
        assertError("accessLog: \"stdout\" must be an object",
                () -> parse(new JsonObject().put("accessLog", "stdout")));
    }

    @Test
    void requestIdHeaderIsAHeaderNameOrEmptyForOff() {
        assertEquals("X-Correlation-Id", parse(new JsonObject().put("requestIdHeader", "X-Correlation-Id")).requestIdHeader());
        assertEquals("", parse(new JsonObject().put("requestIdHeader", "")).requestIdHeader());
        assertError("requestIdHeader: \"X Request\" is not a header name",
                () -> parse(new JsonObject().put("requestIdHeader", "X Request")));
    }
}
