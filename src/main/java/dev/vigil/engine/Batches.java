package dev.vigil.engine;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** Groups an iterator into lists of at most {@code size} items, lazily. */
public final class Batches<T> implements Iterator<List<T>> {
    private final Iterator<T> source;
    private final int size;

    public Batches(Iterator<T> source, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + size);
        }
        this.source = source;
        this.size = size;
    }

    @Override
    public boolean hasNext() {
        return source.hasNext();
    }

    @Override
    public List<T> next() {
        if (!source.hasNext()) {
            throw new NoSuchElementException();
        }
        List<T> batch = new ArrayList<>(size);
        while (batch.size() < size && source.hasNext()) {
            batch.add(source.next());
        }
        return batch;
    }
}
