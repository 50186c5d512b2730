package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.dht.Key;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class XorIndexProperties {
    private record Item(Key key, boolean up) {}

    @Property(tries = 200)
    void findsTheSameClosestQualifyingKeyAsAScan(@ForAll long seed, @ForAll @IntRange(min = 0, max = 400) int size,
            @ForAll @IntRange(min = 0, max = 100) int upPercent, @ForAll @IntRange(min = 0, max = 12) int sharedBits) {
        SplittableRandom rng = new SplittableRandom(seed);
        Key base = Key.random(rng);
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            // Keys sharing a prefix exercise the deep parts of the trie.
            Key k = sharedBits > 0 && rng.nextBoolean() ? base.randomWithCommonPrefix(sharedBits + rng.nextInt(40), rng)
                    : Key.random(rng);
            items.add(new Item(k, rng.nextInt(100) < upPercent));
        }
        XorIndex<Item> index = new XorIndex<>(items, Item::key);
        for (int q = 0; q < 20; q++) {
            Key target = rng.nextBoolean() ? base.randomWithCommonPrefix(rng.nextInt(60), rng) : Key.random(rng);
            Item expected = items.stream().filter(Item::up)
                    .min(Comparator.comparing(Item::key, target::compareDistance)).orElse(null);
            assertThat(index.closest(target, Item::up)).isEqualTo(expected);
        }
    }
}
