package io.pgha.logical;

import java.util.List;

/**
 * What {@code pgha sets apply} would change, or why it cannot.
 *
 * @param steps the changes, in the order they run; empty when the servers already match
 * @param problems what must be fixed first (nothing runs while there is one), each naming the node,
 *     table or column
 */
public record Plan(List<Step> steps, List<String> problems) {
    public Plan {
        steps = List.copyOf(steps);
        problems = List.copyOf(problems);
    }

    public boolean empty() {
        return steps.isEmpty() && problems.isEmpty();
    }
}
