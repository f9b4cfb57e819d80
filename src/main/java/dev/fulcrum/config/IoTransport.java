package dev.fulcrum.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How the event loops wait for sockets. Chosen once per process: a change needs a restart. */
public enum IoTransport {
    /** io_uring where the kernel and its seccomp profile allow it, else epoll, else Java NIO. */
    AUTO("auto"),
    IO_URING("io_uring"),
    EPOLL("epoll"),
    NIO("nio");

    private final String configName;

    IoTransport(String configName) {
        this.configName = configName;
    }

    static IoTransport named(String name) {
        return Arrays.stream(values()).filter(transport -> transport.configName.equals(name)).findFirst()
                .orElseThrow(() -> new ConfigException("transport: " + Values.quote(name) + " is not one of "
                        + Arrays.stream(values()).map(IoTransport::toString).collect(Collectors.joining(", "))));
    }

    @Override
    public String toString() {
        return configName;
    }
}
