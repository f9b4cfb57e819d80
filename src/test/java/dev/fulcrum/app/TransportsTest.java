package dev.fulcrum.app;

import dev.fulcrum.config.IoTransport;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Which transport Fulcrum starts on; the builder is a stand-in, so no event loop is built here. */
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
        Transports.Started started = Transports.start(IoTransport.AUTO, transport -> null);
        assertSame(expected, started.transport());
        assertEquals(expected == Transport.IO_URING, started.passedOver().isEmpty(), started.passedOver().toString());
    }

    @Test
    void autoGoesOnWhenIoUringsEventLoopsCannotBeBuilt() {
        assumeTrue(Transport.IO_URING.available());
        Transports.Started started = Transports.start(IoTransport.AUTO, transport -> {
            if (transport == Transport.IO_URING) {
                throw new IllegalStateException(new RuntimeException("failed to create io_uring ring fd Cannot allocate memory"));
            }
            return null;
        });
        // epoll's native library is left off the tests' class path (pom.xml), so here the next one may be NIO.
        assertSame(Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO, started.transport());
        assertEquals("io_uring could not start its event loops: failed to create io_uring ring fd Cannot allocate memory",
                started.passedOver().get(0));
    }

    @Test
    void anExplicitTransportIsTakenAsItIs() {
        assertSame(Transport.NIO, Transports.start(IoTransport.NIO, transport -> null).transport());
        assumeTrue(Transport.IO_URING.available());
        Transports.Started ioUring = Transports.start(IoTransport.IO_URING, transport -> null);
        assertSame(Transport.IO_URING, ioUring.transport());
        assertTrue(ioUring.passedOver().isEmpty());
    }

    @Test
    void anExplicitTransportThatFailsStopsTheStartWithItsReason() {
        IllegalStateException failed = assertThrows(IllegalStateException.class,
                () -> Transports.start(IoTransport.NIO, transport -> {
                    throw new IllegalStateException("too many open files");
                }));
        assertEquals("transport nio could not start its event loops: too many open files", failed.getMessage());
    }

    @Test
    void anExplicitTransportThePlatformLacksStopsTheStartWithItsReason() {
        // Only epoll's native library is left off the tests' class path (pom.xml): its classes say why it is missing.
        assumeFalse(Transport.EPOLL.available());
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> Transports.start(IoTransport.EPOLL, transport -> null));
        assertTrue(missing.getMessage().startsWith("transport epoll is not available here: "), missing.getMessage());
        assertFalse(missing.getMessage().endsWith(": unavailable"), missing.getMessage());
    }

    @Test
    void autoEndsOnNioAndSaysWhyWhenNothingFasterStarts() {
        Transports.Started started = Transports.start(IoTransport.AUTO, transport -> {
            if (transport != Transport.NIO) {
                throw new IllegalStateException("no rings today");
            }
            return null;
        });
        assertSame(Transport.NIO, started.transport());
        assertTrue(started.passedOver().stream().allMatch(why -> why.contains("not available: ")
                || why.endsWith("could not start its event loops: no rings today")), started.passedOver().toString());
        IllegalStateException failed = assertThrows(IllegalStateException.class,
                () -> Transports.start(IoTransport.AUTO, transport -> {
                    throw new IllegalStateException("out of memory");
                }));
        assertEquals("transport nio could not start its event loops: out of memory", failed.getMessage());
    }
}
