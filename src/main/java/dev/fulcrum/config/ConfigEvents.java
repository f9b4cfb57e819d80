package dev.fulcrum.config;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A new config snapshot, published on {@link #ADDRESS} once it is valid and its listeners are bound. The
 * snapshot is immutable, so it travels by reference: every verticle swaps to the very same object.
 */
public final class ConfigEvents {

    public static final String ADDRESS = "fulcrum.config";
    /** Sent to the health checker before {@link #ADDRESS}: it replies once new servers have had a first probe. */
    public static final String PROBE_NEW_SERVERS = "fulcrum.config.probe";

    private ConfigEvents() {
    }

    public static void publish(EventBus bus, FulcrumConfig config) {
        register(bus);
        bus.publish(ADDRESS, config);
    }

    public static MessageConsumer<FulcrumConfig> consume(EventBus bus, Consumer<FulcrumConfig> handler) {
        register(bus);
        return bus.<FulcrumConfig>localConsumer(ADDRESS, message -> handler.accept(message.body()));
    }

    /** Asks the health checker to probe the new servers of {@code config}; completes after their first probe. */
    public static Future<Void> probeNewServers(EventBus bus, FulcrumConfig config) {
        register(bus);
        long timeout = config.longestProbeTimeout().toMillis() + 5_000;
        return bus.request(PROBE_NEW_SERVERS, config, new DeliveryOptions().setSendTimeout(timeout)).mapEmpty();
    }

    public static void answerProbeRequests(EventBus bus, Function<FulcrumConfig, Future<Void>> reconfigure) {
        register(bus);
        bus.<FulcrumConfig>localConsumer(PROBE_NEW_SERVERS,
                message -> reconfigure.apply(message.body()).onComplete(done -> message.reply(null)));
    }

    private static void register(EventBus bus) {
        try {
            bus.registerDefaultCodec(FulcrumConfig.class, new ByReference());
        } catch (IllegalStateException alreadyRegistered) {
            // one codec per Vert.x instance, whoever registers first
        }
    }

    private static final class ByReference implements MessageCodec<FulcrumConfig, FulcrumConfig> {

        @Override
        public void encodeToWire(Buffer buffer, FulcrumConfig config) {
            throw new UnsupportedOperationException("config snapshots are delivered locally only");
        }

        @Override
        public FulcrumConfig decodeFromWire(int pos, Buffer buffer) {
            throw new UnsupportedOperationException("config snapshots are delivered locally only");
        }

        @Override
        public FulcrumConfig transform(FulcrumConfig config) {
            return config;
        }

        @Override
        public String name() {
            return "fulcrum-config";
        }

        @Override
        public byte systemCodecID() {
            return -1;
        }
    }
}
