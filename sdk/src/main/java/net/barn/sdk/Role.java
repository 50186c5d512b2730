package net.barn.sdk;

/** A client may only dial out; a server may also bind ports and services and accept streams. */
public enum Role {
    CLIENT,
    SERVER
}
