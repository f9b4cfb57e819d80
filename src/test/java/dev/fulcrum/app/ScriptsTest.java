package dev.fulcrum.app;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shell helpers that run.sh, demo.sh and check.sh share, run by bash under the scripts' own strict mode.
 * (check.sh itself runs the jar, so ConfigCheckIT runs it, once the jar is built.)
 */
class ScriptsTest {

    @Test
    void configPathsStayAbsoluteOrAreTakenFromTheCallersDirectory() throws Exception {
        String script = """
                set -euo pipefail
                source scripts/absolute-config.sh
                args=(--config /etc/fulcrum/config.json)
                absolute_config_args /home/me
                echo "${args[1]}"
                args=(-c conf/local.json --verbose)
                absolute_config_args /home/me
                echo "${args[1]} ${args[2]}"
                args=()
                absolute_config_args /home/me
                echo done
                """;
        // An absolute path once ended the caller silently: the helper's last test failed under set -e.
        assertEquals("/etc/fulcrum/config.json\n/home/me/conf/local.json --verbose\ndone\n", bash(script));
    }

    private static String bash(String script) throws IOException, InterruptedException {
        Process bash = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        assertTrue(bash.waitFor(10, TimeUnit.SECONDS));
        String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, bash.exitValue(), output);
        return output;
    }
}
