package dev.fulcrum.app;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.support.PemCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Kubernetes example's config is valid, with its TLS Secret's files where the manifest mounts them. */
class KubernetesManifestTest {

    private static final Path MANIFEST = Path.of("src/main/kubernetes/fulcrum.yaml");
    private static final String SECRET_MOUNT = "/etc/fulcrum-tls";

    @Test
    void theConfigMapsConfigIsValidWithTheMountedSecret(@TempDir Path dir) throws IOException {
        String manifest = Files.readString(MANIFEST);
        Matcher block = Pattern.compile("config\\.json: \\|\\n((?: {4}.*\\n)+)").matcher(manifest);
        assertTrue(block.find(), "the ConfigMap's config.json");
        assertTrue(manifest.contains("mountPath: " + SECRET_MOUNT), "the Secret is mounted where the config reads it");
        assertTrue(manifest.contains("secretName: fulcrum-tls"));
        // A kubernetes.io/tls Secret's two keys, as the kubelet writes them.
        PemCertificates.Pair pair = PemCertificates.ec(dir, "tls", 30, "shop.example.com");
        Files.move(pair.cert(), dir.resolve("tls.crt"));
        Files.move(pair.key(), dir.resolve("tls.key"));

        FulcrumConfig config = ConfigParser.parse(block.group(1).replace(SECRET_MOUNT, dir.toString()));

        assertEquals(8443, config.tls().listen().port());
        assertTrue(config.tls().httpsRedirect());
        assertEquals(3, config.servers().size());
    }
}
