package dev.fulcrum.app;

import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.ListenAddress;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;

/**
 * Binds the listen and admin addresses once, and lets go, before anything else starts: a port in use is then the
 * first line of output, where the real bind would report it only after the health checker's first lines. Vert.x
 * binds for real afterwards; a port taken in between still stops the start, only later.
 */
final class PortCheck {

    private PortCheck() {
    }

    /** @throws IllegalStateException naming the field and the address, with the system's reason */
    static void bothFree(FulcrumConfig config) {
        free("listenPort", config.listen());
        free("adminPort", config.admin());
    }

    private static void free(String field, ListenAddress address) {
        if (address.port() == 0) {
            return; // any free port
        }
        InetSocketAddress socket = new InetSocketAddress(address.host(), address.port());
        if (socket.isUnresolved()) {
            return; // Vert.x resolves it its own way, and says so if it cannot
        }
        // The family of the address, as the transports bind it: a wildcard IPv4 socket conflicts with fewer
        // sockets than Java's default dual-stack one would.
        StandardProtocolFamily family = socket.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        try (ServerSocketChannel probe = ServerSocketChannel.open(family)) {
            probe.setOption(StandardSocketOptions.SO_REUSEADDR, true); // as Vert.x does: TIME_WAIT is no conflict
            probe.bind(socket, 1);
        } catch (BindException e) {
            throw new IllegalStateException(field + " " + address + ": " + e.getMessage());
        } catch (IOException | UnsupportedOperationException e) {
            // Anything else (no IPv6 here, say) is for the real bind to report in its own words.
        }
    }
}
