package io.pgha.core.decide;

import io.pgha.core.model.MemberState;

/** The long actions an agent runs off its loop, one at a time; the next observation sees which runs. */
public enum LongAction {
    BOOTSTRAP("bootstrap", MemberState.BOOTSTRAPPING),
    CLONE("clone", MemberState.CLONING),
    START("start", MemberState.STARTING),
    RESTART("restart", MemberState.STARTING),
    PROMOTE("promote", MemberState.PROMOTING),
    REWIND("rewind", MemberState.REWINDING);

    private final String label;
    private final MemberState memberState;

    LongAction(String label, MemberState memberState) {
        this.label = label;
        this.memberState = memberState;
    }

    /** The word shown in logs and reasons ("clone in progress"). */
    public String label() {
        return label;
    }

    /** What the member publishes while this action runs. */
    public MemberState memberState() {
        return memberState;
    }

    @Override
    public String toString() {
        return label;
    }
}
