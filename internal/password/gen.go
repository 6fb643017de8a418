//go:build ignore

// gen writes lists.gz from the ranked frequency lists zxcvbn carries
// (github.com/trustelem/zxcvbn/frequency): common passwords, English
// words, first names and surnames. kcloud embeds the compressed lists and
// reads them only when a password is set; linking zxcvbn instead would run
// its package initialisation, 43 ms and 10 MB, at every start of every
// command.
//
//	go generate ./internal/password
package main

import (
	"bytes"
	"compress/gzip"
	"log"
	"os"
	"strings"

	"github.com/trustelem/zxcvbn/frequency"
)

// lists are written in this order, each as its name on a line, then its
// words, most frequent first, then an empty line.
var lists = []string{"passwords", "english_wikipedia", "female_names", "male_names", "surnames"}

func main() {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	for _, name := range lists {
		words := frequency.FrequencyLists[name]
		if len(words) == 0 {
			log.Fatalf("zxcvbn has no list %q", name)
		}
		zw.Write([]byte(name + "\n" + strings.Join(words, "\n") + "\n\n"))
	}
	zw.Close()
	if err := os.WriteFile("lists.gz", b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
