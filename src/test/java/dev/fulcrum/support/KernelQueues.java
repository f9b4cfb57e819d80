package dev.fulcrum.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The bytes Linux holds in the queues of TCP connections, from /proc/net/tcp and tcp6: written and not yet
 * acknowledged (tx_queue), received and not yet read (rx_queue). On loopback, once nothing moves, each byte one end
 * has written and the other not read is in one of the two.
 */
public final class KernelQueues {

    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    private static final String LISTEN = "0A";

    private KernelQueues() {
    }

    public static boolean available() {
        return Files.isReadable(TABLES.get(0));
    }

    /**
     * What the connections of {@code port} hold on their way from it: the unacknowledged bytes of its own end of
     * each, the unread bytes of the other end.
     */
    public static long towardPeers(int port) throws IOException {
        long total = 0;
        for (Path table : TABLES) {
            if (!Files.isReadable(table)) {
                continue;
            }
            List<String> lines = Files.readAllLines(table);
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.trim().split("\\s+");
                if (fields[3].equals(LISTEN)) {
                    // A listening socket's queues count connections, not bytes.
                    continue;
                }
                String[] queues = fields[4].split(":");
                if (port(fields[1]) == port) {
                    total += Long.parseLong(queues[0], 16);
                } else if (port(fields[2]) == port) {
                    total += Long.parseLong(queues[1], 16);
                }
            }
        }
        return total;
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.indexOf(':') + 1), 16);
    }
}
