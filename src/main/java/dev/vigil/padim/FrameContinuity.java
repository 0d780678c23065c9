package dev.vigil.padim;

import java.util.Arrays;

/**
 * Whether a camera's frame comes right after the last one seen, so that the motion stream may difference the two
 * ({@link FrameDifferences}). It does when its sequence number is the next one and it was captured within two of the
 * camera's usual frame intervals of the last: a frame dropped as late or undecodable, a lost connection or a stall
 * would otherwise make a difference across the gap look like fast motion. The usual interval is the median of the
 * last few intervals between consecutive sequence numbers, so one stall does not move it.
 */
public final class FrameContinuity {
    /** Intervals the median is taken over. */
    private static final int INTERVALS = 8;

    private final long[] intervals = new long[INTERVALS];
    private int intervalCount;
    private int nextInterval;
    private long lastSeq = Long.MIN_VALUE;
    private long lastMillis;

    /**
     * Remembers the frame and says whether it follows the last one.
     *
     * @param seq    the camera's sequence number of the frame; negative when unknown (offline frames handed over in
     *               order): it follows whatever came before
     * @param millis its capture time, epoch milliseconds
     */
    public boolean next(long seq, long millis) {
        if (seq < 0) {
            boolean follows = lastSeq != Long.MIN_VALUE;
            lastSeq = -1;
            return follows;
        }
        boolean consecutive = lastSeq >= 0 && seq == lastSeq + 1;
        long interval = millis - lastMillis;
        boolean follows = consecutive && interval >= 0 && (usualInterval() <= 0 || interval <= 2 * usualInterval());
        if (consecutive && interval >= 0) {
            intervals[nextInterval] = interval;
            nextInterval = (nextInterval + 1) % INTERVALS;
            intervalCount = Math.min(INTERVALS, intervalCount + 1);
        }
        lastSeq = seq;
        lastMillis = millis;
        return follows;
    }

    /** The median of the recent intervals, or 0 before any (no time rule until then). */
    long usualInterval() {
        if (intervalCount == 0) {
            return 0;
        }
        long[] recent = Arrays.copyOf(intervals, intervalCount);
        Arrays.sort(recent);
        return recent[intervalCount / 2];
    }

    /** Forgets the last frame: the next one follows nothing. */
    public void reset() {
        lastSeq = Long.MIN_VALUE;
    }
}
