package dev.fulcrum.proxy;

/** How a drain went: requests that finished, and requests cut off (client gone, timeout, error). */
public record Drained(int finished, int cutOff) {

    public Drained plus(Drained other) {
        return new Drained(finished + other.finished, cutOff + other.cutOff);
    }
}
