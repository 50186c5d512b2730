package net.barn.core.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NameSyntaxTest {
    @Test
    void foldsCaseAndComposesSoThatLookAlikeSpellingsAreOneName() {
        assertThat(NameSyntax.normaliseTopLevel("IRC")).isEqualTo("irc");
        assertThat(NameSyntax.normaliseTopLevel("Stra\u00dfe")).isEqualTo("strasse");
        // "é" precomposed and as e + combining acute are the same name.
        assertThat(NameSyntax.normaliseTopLevel("caf\u00e9")).isEqualTo(NameSyntax.normaliseTopLevel("cafe\u0301"));
        assertThat(NameSyntax.normaliseTopLevel("\u0428\u0410\u0425\u041c\u0410\u0422\u042b")).isEqualTo("\u0448\u0430\u0445\u043c\u0430\u0442\u044b");
        assertThat(NameSyntax.normalise("Chess/Game-42")).isEqualTo("chess/game-42");
        assertThat(NameSyntax.normalise("irc/#Barn")).isEqualTo("irc/#barn");
    }

    @Test
    void refusesNamesOutsideTheSyntaxAndSaysWhy() {
        assertThatThrownBy(() -> NameSyntax.normaliseTopLevel("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> NameSyntax.normaliseTopLevel("a b")).hasMessageContaining("U+0020 is not allowed");
        assertThatThrownBy(() -> NameSyntax.normaliseTopLevel("irc/x")).hasMessageContaining("U+002F is not allowed");
        assertThatThrownBy(() -> NameSyntax.normaliseTopLevel("-irc")).hasMessageContaining("may not start or end");
        assertThatThrownBy(() -> NameSyntax.normaliseTopLevel("#irc")).hasMessageContaining("U+0023");
        assertThatThrownBy(() -> NameSyntax.normaliseTopLevel("x".repeat(33))).hasMessageContaining("longer than 32");
        assertThatThrownBy(() -> NameSyntax.normaliseTopLevel("\u0301abc")).hasMessageContaining("combining mark");
        assertThatThrownBy(() -> NameSyntax.normaliseTopLevel("irc\u200b")).hasMessageContaining("U+200B");
        assertThatThrownBy(() -> NameSyntax.normalise("a/b/c/d/e")).hasMessageContaining("more than 4 labels");
        assertThatThrownBy(() -> NameSyntax.normalise("irc/#")).hasMessageContaining("sigil");
        assertThatThrownBy(() -> NameSyntax.normalise("irc//x")).hasMessageContaining("empty");
    }

    @Test
    void knowsWhetherANameIsAlreadyInNormalForm() {
        assertThat(NameSyntax.isNormalTopLevel("irc")).isTrue();
        assertThat(NameSyntax.isNormalTopLevel("IRC")).isFalse();
        assertThat(NameSyntax.isNormalTopLevel("cafe\u0301")).isFalse();
        assertThat(NameSyntax.isNormalSubLabel("#barn")).isTrue();
        assertThat(NameSyntax.isNormalSubLabel("#Barn")).isFalse();
    }
}
