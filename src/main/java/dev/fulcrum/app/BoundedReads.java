package dev.fulcrum.app;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.impl.transports.TransportInternal;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.spi.transport.Transport;

import java.net.SocketAddress;
import java.util.concurrent.ThreadFactory;

/**
 * A transport whose TCP connections read at most {@value #MAX_READ} bytes at a time, starting from
 * {@value #INITIAL_READ}. On io_uring every connection waiting to read holds the buffer of its next read, and
 * Netty's default grows it to 64 KiB once a connection has carried a large body: thousands of client and backend
 * connections then hold hundreds of megabytes of direct memory while they wait. Vert.x sets a channel's read
 * sizes only through a fixed receive buffer, which would also fix every small read at that size, so the
 * allocator goes in where Vert.x configures each new channel; everything else is the wrapped transport's.
 */
final class BoundedReads implements Transport {

    static final int MIN_READ = 64;
    static final int INITIAL_READ = 1024;
    static final int MAX_READ = 16 * 1024;

    private final Transport transport;

    private BoundedReads(Transport transport) {
        this.transport = transport;
    }

    /** {@code transport} with bounded reads, or as it is if it is not one Vert.x built. */
    static io.vertx.core.transport.Transport of(io.vertx.core.transport.Transport transport) {
        if (transport instanceof TransportInternal internal) {
            return new TransportInternal(internal.name(), internal.available(), internal.unavailabilityCause(),
                    new BoundedReads(internal.implementation()));
        }
        return transport;
    }

    private static AdaptiveRecvByteBufAllocator reads() {
        return new AdaptiveRecvByteBufAllocator(MIN_READ, INITIAL_READ, MAX_READ);
    }

    @Override
    public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
        transport.configure(options, connectTimeout, domainSocket, bootstrap);
        if (options.getReceiveBufferSize() == -1) {
            bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, reads());
        }
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
        transport.configure(options, domainSocket, bootstrap);
        if (options.getReceiveBufferSize() == -1) {
            bootstrap.childOption(ChannelOption.RCVBUF_ALLOCATOR, reads());
        }
    }

    @Override
    public boolean supportsDomainSockets() {
        return transport.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
        return transport.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
        return transport.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
        return transport.unavailabilityCause();
    }

    @Override
    public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
        return transport.convert(address);
    }

    @Override
    public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
        return transport.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return transport.ioHandlerFactory();
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
        return transport.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel() {
        return transport.datagramChannel();
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
        return transport.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
        return transport.channelFactory(domainSocket);
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
        return transport.serverChannelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
        transport.configure(channel, options);
    }
}
