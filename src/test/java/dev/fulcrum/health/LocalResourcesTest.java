package dev.fulcrum.health;

import io.netty.channel.ChannelException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Failures that say this host ran out of descriptors or ports, not that a backend failed. */
class LocalResourcesTest {

    @Test
    void descriptorAndPortExhaustionAreRecognisedDownTheCauseChain() {
        assertEquals(Optional.of("out of file descriptors (newSocketStream(..) failed with error(-24): Too many open files)"),
                LocalResources.exhausted(new ChannelException(new IOException("newSocketStream(..) failed with error(-24): Too many open files"))));
        assertEquals(Optional.of("out of file descriptors (Too many open files)"),
                LocalResources.exhausted(new IOException("Too many open files")));
        assertEquals(Optional.of("no local port left to connect from (Cannot assign requested address)"),
                LocalResources.exhausted(new ConnectException("Cannot assign requested address")));
    }

    @Test
    void aBackendsOwnFailureIsNot() {
        assertEquals(Optional.empty(), LocalResources.exhausted(new ConnectException("Connection refused")));
        assertEquals(Optional.empty(), LocalResources.exhausted(new IOException("connect(..) failed with error(-111): Connection refused")));
        assertEquals(Optional.empty(), LocalResources.exhausted(new IOException((String) null)));
    }
}
