package dev.fulcrum.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GoDurationTest {

    @ParameterizedTest
    @CsvSource({"250ms, 250", "5s, 5000", "1m30s, 90000", "2h, 7200000", "1.5s, 1500", "0, 0", "100us, 0", "1h1m1s1ms, 3661001"})
    void parsesGoSyntax(String text, long millis) {
        assertEquals(millis, GoDuration.parse(text).toMillis());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "5 s", "s", "5sec", "-5s", "1d", ".s", "5s "})
    void refusesWhatGoRefuses(String text) {
        assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"250, 250ms", "5000, 5s", "90000, 1m30s", "7200000, 2h", "1500, 1500ms"})
    void formatsShortest(long millis, String text) {
        assertEquals(text, GoDuration.format(Duration.ofMillis(millis)));
    }
}
