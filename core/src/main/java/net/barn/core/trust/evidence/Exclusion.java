package net.barn.core.trust.evidence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.NodeId;

/**
 * The stewards' decision on one motion (namespace, epoch, accused): the accused is excluded
 * when at least two thirds of the steward set voted to exclude it. The steward set is given
 * (chosen by sortition elsewhere). Votes from non-stewards, for another motion or with bad
 * signatures are refused with a reason; a steward who cast two different choices has both
 * votes discarded and the pair returned as {@link Evidence} against it.
 *
 * @param votesToExclude valid, consistent votes to exclude, one per steward
 * @param needed votes to exclude the decision needs: ceil(2n/3) of n stewards
 */
public record Exclusion(String namespace, long epoch, NodeId accused, boolean excluded, int votesToExclude, int needed,
        List<String> refused, List<Evidence> equivocations) {
    public Exclusion {
        refused = List.copyOf(refused);
        equivocations = List.copyOf(equivocations);
    }

    /** Votes of {@code stewards} a decision needs: at least two thirds, rounded up. */
    public static int needed(int stewards) {
        return (2 * stewards + 2) / 3;
    }

    /** Counts {@code votes} on the motion. */
    public static Exclusion tally(String namespace, long epoch, NodeId accused, Set<NodeId> stewards, List<StewardVote> votes,
            SignatureVerifier verifier) {
        List<String> refused = new ArrayList<>();
        List<Evidence> equivocations = new ArrayList<>();
        Map<NodeId, StewardVote> byVoter = new LinkedHashMap<>();
        java.util.Set<NodeId> equivocators = new java.util.HashSet<>();
        for (StewardVote v : votes) {
            NodeId voter = v.voter();
            if (!v.namespace().equals(namespace) || v.epoch() != epoch || !v.accused().equals(accused)) {
                refused.add(voter.shortForm() + ": vote for another motion");
                continue;
            }
            if (!stewards.contains(voter)) {
                refused.add(voter.shortForm() + ": not a steward of " + namespace + " in epoch " + epoch);
                continue;
            }
            String problem = v.statement().problem(verifier);
            if (problem != null) {
                refused.add(voter.shortForm() + ": " + problem);
                continue;
            }
            if (equivocators.contains(voter)) {
                continue;
            }
            StewardVote before = byVoter.get(voter);
            if (before == null) {
                byVoter.put(voter, v);
            } else if (before.statement().conflictsWith(v.statement())) {
                byVoter.remove(voter);
                equivocators.add(voter);
                equivocations.add(new Evidence(before.statement(), v.statement()));
                refused.add(voter.shortForm() + ": voted both ways");
            }
        }
        int yes = (int) byVoter.values().stream().filter(StewardVote::exclude).count();
        int needed = needed(stewards.size());
        return new Exclusion(namespace, epoch, accused, !stewards.isEmpty() && yes >= needed, yes, needed, refused,
                equivocations);
    }
}
