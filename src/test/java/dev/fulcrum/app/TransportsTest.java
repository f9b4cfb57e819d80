package dev.fulcrum.app;

import dev.fulcrum.config.IoTransport;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@ExtendWith(VertxExtension.class)
class TransportsTest {

    /** The in-process tests run on what a default config runs on (surefire's configuration in pom.xml). */
    @Test
    void theSuiteRunsOnIoUringWhereTheKernelHasIt(Vertx vertx) {
        assumeTrue(Transport.IO_URING.available(), "no io_uring here: the suite runs on NIO, the jar on epoll");
        assertEquals(Transport.IO_URING.implementation().getClass(), ((VertxInternal) vertx).transport().getClass());
    }

    @Test
    void autoTakesIoUringThenEpollThenNio() {
        Transport expected = Transport.IO_URING.available() ? Transport.IO_URING
                : Transport.EPOLL != null && Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
        Transport chosen = Transports.choose(IoTransport.AUTO);
        assertSame(expected, chosen);
        assertEquals(chosen == Transport.IO_URING, Transports.whyNotIoUring(chosen).isEmpty());
    }

    @Test
    void nioIsAlwaysThere() {
        assertSame(Transport.NIO, Transports.choose(IoTransport.NIO));
    }

    @Test
    void anExplicitTransportThePlatformLacksIsRefusedWithItsReason() {
        // kqueue exists only on BSD and macOS: on Linux it stands for any transport the platform lacks.
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> Transports.require(Transport.KQUEUE, "kqueue"));
        assertTrue(refused.getMessage().startsWith("transport kqueue is not available here: "), refused.getMessage());
        assertEquals("transport x is not available here: not on the class path",
                assertThrows(IllegalStateException.class, () -> Transports.require(null, "x")).getMessage());
    }
}
