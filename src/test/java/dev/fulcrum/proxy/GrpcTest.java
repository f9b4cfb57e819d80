package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.PemCertificates;
import dev.fulcrum.balancer.HealthState;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * gRPC through Fulcrum, end to end: grpc-java's client over HTTP/2 (h2c, or TLS by ALPN) to Fulcrum, Fulcrum to a
 * grpc-java server over h2c. Unary calls, a server stream, and an error status, each with its trailers intact.
 */
@ExtendWith(VertxExtension.class)
class GrpcTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> GREET = method("Greet", MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<String, String> COUNT = method("Count", MethodDescriptor.MethodType.SERVER_STREAMING);
    private static final MethodDescriptor<String, String> FIND = method("Find", MethodDescriptor.MethodType.UNARY);

    private final List<Server> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        servers.forEach(Server::shutdownNow);
    }

    @Test
    void unaryCallsAndAServerStreamPassOverH2c(Vertx vertx) throws IOException {
        Fulcrum fulcrum = Balancer.start(vertx, grpcPool(startServer()).put("h2c", true));
        ManagedChannel channel = channel(NettyChannelBuilder.forAddress("127.0.0.1", fulcrum.port()).usePlaintext());

        assertEquals("hello fulcrum", ClientCalls.blockingUnaryCall(channel, GREET, deadline(), "fulcrum"));
        assertEquals(List.of("1 of 50", "25 of 50", "50 of 50"), pick(ClientCalls.blockingServerStreamingCall(channel, COUNT, deadline(), "50")));
    }

    /** A status other than OK comes back as its code and message: the trailers (or a trailers-only answer) arrive whole. */
    @Test
    void anErrorStatusArrivesWithItsCodeAndMessage(Vertx vertx) throws IOException {
        Fulcrum fulcrum = Balancer.start(vertx, grpcPool(startServer()).put("h2c", true));
        ManagedChannel channel = channel(NettyChannelBuilder.forAddress("127.0.0.1", fulcrum.port()).usePlaintext());

        StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                () -> ClientCalls.blockingUnaryCall(channel, FIND, deadline(), "order 7"));
        assertEquals(Status.Code.NOT_FOUND, error.getStatus().getCode());
        assertEquals("no order 7", error.getStatus().getDescription());
    }

    @Test
    void callsPassOverTheHttpsListener(Vertx vertx) throws IOException {
        PemCertificates.Pair pair = PemCertificates.ec(dir, "grpc", 30, "grpc.example.com");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.withTls(grpcPool(startServer()), pair));
        ManagedChannel channel = channel(NettyChannelBuilder.forAddress("127.0.0.1", fulcrum.tlsPort())
                .overrideAuthority("grpc.example.com")
                .sslContext(GrpcSslContexts.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build()));

        assertEquals("hello tls", ClientCalls.blockingUnaryCall(channel, GREET, deadline(), "tls"));
        assertEquals(List.of("1 of 3", "2 of 3", "3 of 3"), pick(ClientCalls.blockingServerStreamingCall(channel, COUNT, deadline(), "3")));
    }

    /** A gRPC server answers no HTTP/1.1 probe: an h2c pool's probes speak HTTP/2, and find it healthy. */
    @Test
    void probesSpeakThePoolsProtocol(Vertx vertx) throws IOException {
        Server server = startServer();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(grpcPool(server)));
        Await.until("the gRPC server probed healthy", WAIT,
                () -> fulcrum.backends().all().get(0).health() == HealthState.HEALTHY);

        server.shutdownNow();

        Await.until("the stopped server probed unhealthy", WAIT,
                () -> fulcrum.backends().all().get(0).health() == HealthState.UNHEALTHY);
    }

    private static List<String> pick(Iterator<String> replies) {
        List<String> all = new ArrayList<>();
        replies.forEachRemaining(all::add);
        return all.size() <= 3 ? all : List.of(all.get(0), all.get(all.size() / 2 - 1), all.get(all.size() - 1));
    }

    private static JsonObject grpcPool(Server server) {
        return Balancer.config("http://127.0.0.1:" + server.getPort()).put("backendProtocol", "h2c");
    }

    private ManagedChannel channel(NettyChannelBuilder builder) {
        ManagedChannel channel = builder.build();
        channels.add(channel);
        return channel;
    }

    private static CallOptions deadline() {
        return CallOptions.DEFAULT.withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Server startServer() throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("fulcrum.Test")
                .addMethod(GREET, ServerCalls.asyncUnaryCall((name, reply) -> {
                    reply.onNext("hello " + name);
                    reply.onCompleted();
                }))
                .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((count, reply) -> {
                    int n = Integer.parseInt(count);
                    for (int i = 1; i <= n; i++) {
                        reply.onNext(i + " of " + n);
                    }
                    reply.onCompleted();
                }))
                .addMethod(FIND, ServerCalls.asyncUnaryCall((what, reply) ->
                        reply.onError(Status.NOT_FOUND.withDescription("no " + what).asRuntimeException())))
                .build();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        servers.add(server);
        return server;
    }

    private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<String, String>newBuilder().setType(type).setFullMethodName("fulcrum.Test/" + name)
                .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
    }
}
