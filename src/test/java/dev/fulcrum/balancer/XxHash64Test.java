package dev.fulcrum.balancer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The reference's vectors, as {@code xxhsum -H1} prints them: short input, the 32-byte loop, and a URL. */
class XxHash64Test {

    private static long hash(String text) {
        return XxHash64.hash(text.getBytes(StandardCharsets.UTF_8), 0);
    }

    @Test
    void matchesTheReferenceVectors() {
        assertEquals(0xef46db3751d8e999L, hash(""));
        assertEquals(0x44bc2cf5ad770999L, hash("abc"));
        assertEquals(0xfbcea83c8a378bf1L, hash("Nobody inspects the spammish repetition"));
        assertEquals(0x9699e28ffe846e2bL, hash("http://127.0.0.1:8081"));
    }

    @Test
    void aSeedGivesAnotherHash() {
        byte[] data = "abc".getBytes(StandardCharsets.UTF_8);
        assertEquals(XxHash64.hash(data, 1), XxHash64.hash(data, 0, data.length, 1));
        org.junit.jupiter.api.Assertions.assertNotEquals(XxHash64.hash(data, 0), XxHash64.hash(data, 1));
    }
}
