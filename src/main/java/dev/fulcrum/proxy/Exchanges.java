package dev.fulcrum.proxy;

/**
 * The exchanges one proxy verticle has in progress, and, once it drains, how each one ended. Touched only on
 * the verticle's event loop.
 */
final class Exchanges {

    private int active;
    private boolean draining;
    private int finished;
    private int cutOff;

    void started() {
        active++;
    }

    void ended(boolean delivered) {
        active--;
        if (draining) {
            if (delivered) {
                finished++;
            } else {
                cutOff++;
            }
        }
    }

    void drain() {
        draining = true;
    }

    boolean draining() {
        return draining;
    }

    int active() {
        return active;
    }

    Drained drained() {
        return new Drained(finished, cutOff);
    }
}
