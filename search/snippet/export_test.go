package snippet

// IsTokenRune is isTokenRune, for the test of its shortcut.
var IsTokenRune = isTokenRune
