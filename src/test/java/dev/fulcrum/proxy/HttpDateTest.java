package dev.fulcrum.proxy;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class HttpDateTest {

    /** RFC 9110 §5.6.7's own example: IMF-fixdate, with a two-digit day. */
    private static final long SUN_06_NOV_1994_08_49_37 = 784111777_000L;

    @Test
    void formatsImfFixdate() {
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", new HttpDate(() -> SUN_06_NOV_1994_08_49_37 + 999).now());
    }

    @Test
    void formatsOnceASecond() {
        AtomicLong clock = new AtomicLong(SUN_06_NOV_1994_08_49_37);
        HttpDate date = new HttpDate(clock::get);

        String first = date.now();
        clock.addAndGet(999);
        assertSame(first, date.now());
        clock.addAndGet(1);
        assertEquals("Sun, 06 Nov 1994 08:49:38 GMT", date.now());
    }

    @Test
    void aClockSteppedBackIsFollowed() {
        AtomicLong clock = new AtomicLong(SUN_06_NOV_1994_08_49_37);
        HttpDate date = new HttpDate(clock::get);

        date.now();
        clock.addAndGet(-60_000);
        assertEquals("Sun, 06 Nov 1994 08:48:37 GMT", date.now());
    }
}
