package tandem.node.ops;

/**
 * A ping check's verdict from its rounds (pure): it fails after {@code misses} failed rounds in a row
 * and recovers after {@code successes} good rounds in a row, so a single lost echo neither fails it nor
 * a single answer brings it back (no flapping). A check starts good.
 */
public final class PingCheckState {
    private final int misses;
    private final int successes;
    private boolean failing;
    private int badInARow;
    private int goodInARow;
    private long rounds;

    public PingCheckState(int misses, int successes) {
        if (misses < 1 || successes < 1) {
            throw new IllegalArgumentException("misses " + misses + ", successes " + successes + " (expected: at least 1 each)");
        }
        this.misses = misses;
        this.successes = successes;
    }

    /** One round's result; true when the verdict changed. */
    public boolean round(boolean answered) {
        rounds++;
        if (answered) {
            badInARow = 0;
            goodInARow++;
            if (failing && goodInARow >= successes) {
                failing = false;
                return true;
            }
        } else {
            goodInARow = 0;
            badInARow++;
            if (!failing && badInARow >= misses) {
                failing = true;
                return true;
            }
        }
        return false;
    }

    public boolean failing() {
        return failing;
    }

    public int badInARow() {
        return badInARow;
    }

    public int goodInARow() {
        return goodInARow;
    }

    public long rounds() {
        return rounds;
    }
}
