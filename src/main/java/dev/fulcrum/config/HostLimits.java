package dev.fulcrum.config;

import io.netty.util.internal.PlatformDependent;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * What this process may hold, as the defaults of {@code maxConnections} and {@code maxBufferedBytes} follow from
 * it: the descriptor limit ({@code ulimit -n}) and the direct-memory limit (the JVM's, which is {@code -Xmx} unless
 * {@code -XX:MaxDirectMemorySize} says otherwise).
 */
public record HostLimits(long descriptors, long directMemory) {

    /**
     * Descriptors the JVM and Fulcrum need beyond client and backend connections: the jars, the event loops' rings
     * and pipes, the listeners, the admin port's clients, health probes, the config file.
     */
    static final int RESERVED_DESCRIPTORS = 128;
    static final int DESCRIPTORS_PER_CLIENT = 3;
    /**
     * Only a share of direct memory is for responses waiting on clients: the same bytes were read from a backend
     * first, the encoders and the TLS engines allocate from it too, and a byte held back costs its pooled chunk.
     */
    static final int BUFFERED_SHARE_OF_DIRECT_MEMORY = 4;

    /** Where the descriptor limit cannot be read (not a Unix JVM). */
    private static final long UNKNOWN_DESCRIPTORS = 4096;

    public static HostLimits current() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        long descriptors = os instanceof com.sun.management.UnixOperatingSystemMXBean unix
                ? unix.getMaxFileDescriptorCount() : UNKNOWN_DESCRIPTORS;
        return new HostLimits(descriptors, PlatformDependent.maxDirectMemory());
    }

    /**
     * Room for one backend connection per client connection, as many again for the idle ones the backend pools
     * keep and the few accepted in the instant before accepting pauses, and everything else the process opens.
     */
    int defaultMaxConnections() {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (descriptors - RESERVED_DESCRIPTORS) / DESCRIPTORS_PER_CLIENT));
    }

    long defaultMaxBufferedBytes() {
        return Math.max(1024 * 1024, directMemory / BUFFERED_SHARE_OF_DIRECT_MEMORY);
    }
}
