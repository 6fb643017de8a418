// Command argon2once runs one Argon2id call at the contract's parameters
// in a fresh process and exits: the floor a password command stands on.
package main

import "golang.org/x/crypto/argon2"

func main() {
	argon2.IDKey([]byte("correct horse battery"), make([]byte, 16), 2, 19456, 1, 32)
}
