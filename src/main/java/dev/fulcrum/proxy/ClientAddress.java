package dev.fulcrum.proxy;

import dev.fulcrum.config.Cidr;
import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import java.util.List;

/**
 * Who the client is: the connection's peer, or, when that peer is one of {@code trustedProxies}, the right-most
 * address of X-Forwarded-For that is not trusted (NGINX's {@code real_ip_recursive}). Never the left-most, which the
 * client itself wrote. An entry that is no address ends the walk at the proxy that passed it on.
 */
final class ClientAddress {

    private static final String X_FORWARDED_FOR = "x-forwarded-for";

    private ClientAddress() {
    }

    static String of(HttpServerRequest request, List<Cidr> trustedProxies) {
        SocketAddress peer = request.remoteAddress();
        String address = peer == null ? "-" : peer.hostAddress();
        if (trustedProxies.isEmpty() || !trusted(address, trustedProxies)) {
            return address;
        }
        List<String> lines = request.headers().getAll(X_FORWARDED_FOR);
        for (int line = lines.size() - 1; line >= 0; line--) {
            String[] hops = lines.get(line).split(",");
            for (int hop = hops.length - 1; hop >= 0; hop--) {
                String candidate = hops[hop].trim();
                if (NetUtil.createByteArrayFromIpAddressString(candidate) == null) {
                    return address;
                }
                address = candidate;
                if (!trusted(candidate, trustedProxies)) {
                    return candidate;
                }
            }
        }
        return address;
    }

    private static boolean trusted(String address, List<Cidr> blocks) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        if (bytes == null) {
            return false;
        }
        for (Cidr block : blocks) {
            if (block.contains(bytes)) {
                return true;
            }
        }
        return false;
    }
}
