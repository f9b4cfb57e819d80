package dev.fulcrum.proxy;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Removes the {@code .} and {@code ..} segments of a path (RFC 3986 §5.2.4), percent-encoded ones too, before it is
 * routed. Otherwise {@code /static/../admin} would take the route of {@code /static} to a backend that reads it as
 * {@code /admin}: routed and served would be two different paths. The backend is sent the path as routed.
 */
final class DotSegments {

    private DotSegments() {
    }

    /** {@code path} itself when it has no dot segment, which is nearly always; else the path without them. */
    static String remove(String path) {
        if (!hasDotSegment(path)) {
            return path;
        }
        Deque<String> kept = new ArrayDeque<>();
        String[] segments = path.split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            String segment = segments[i];
            boolean last = i == segments.length - 1;
            if (isDot(segment)) {
                if (last) {
                    kept.addLast("");
                }
            } else if (isDotDot(segment)) {
                kept.pollLast();
                if (last) {
                    kept.addLast("");
                }
            } else {
                kept.addLast(segment);
            }
        }
        return "/" + String.join("/", kept);
    }

    private static boolean hasDotSegment(String path) {
        if (path.indexOf('.') < 0 && path.indexOf('%') < 0) {
            return false;
        }
        for (int start = path.indexOf('/'); start >= 0; start = path.indexOf('/', start + 1)) {
            int end = path.indexOf('/', start + 1);
            String segment = path.substring(start + 1, end < 0 ? path.length() : end);
            if (isDot(segment) || isDotDot(segment)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isDot(String segment) {
        return segment.equals(".") || segment.equalsIgnoreCase("%2e");
    }

    private static boolean isDotDot(String segment) {
        return switch (segment.length()) {
            case 2 -> segment.equals("..");
            case 4 -> segment.equalsIgnoreCase(".%2e") || segment.equalsIgnoreCase("%2e.");
            case 6 -> segment.equalsIgnoreCase("%2e%2e");
            default -> false;
        };
    }
}
