package cli

//go:generate go run ../tools/gendocs ../..
