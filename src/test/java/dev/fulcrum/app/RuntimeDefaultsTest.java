package dev.fulcrum.app;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RuntimeDefaultsTest {

    @Test
    void nettyAndVertxRunWithFulcrumsDefaults() {
        Properties properties = new Properties();
        RuntimeDefaults.apply(properties);
        assertEquals("false", properties.getProperty("io.netty.jfr.enabled"));
        assertEquals("true", properties.getProperty("vertx.disableContextTimings"));
        assertEquals("256", properties.getProperty("io.netty.recycler.chunkSize"));
    }

    @Test
    void anOperatorsOwnValueWins() {
        Properties properties = new Properties();
        properties.setProperty("io.netty.jfr.enabled", "true");
        RuntimeDefaults.apply(properties);
        assertEquals("true", properties.getProperty("io.netty.jfr.enabled"));
    }
}
