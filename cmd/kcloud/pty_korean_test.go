//go:build linux

package main

import (
	"strings"
	"testing"
)

// TestPTYKorean: under a Korean locale, init's questions, the new
// password's rule and retries, a yes answered in Korean, a Korean name
// typed at the terminal, and login's wrong-password retry are all in
// Korean on a real terminal, and the answers land as typed.
func TestPTYKorean(t *testing.T) {
	env := append(newHome(t), "LANG=ko_KR.UTF-8")
	s := start(t, env, "init")
	s.expect("조직 이름: ")
	s.typeLine("Acme")
	s.expect("조직에서 닉네임을 사용합니까? [y/N] ")
	s.typeLine("예")
	s.expect("사용자 ID: ")
	s.typeLine("alice")
	s.expect("이름: ")
	s.typeLine("김민지")
	s.expect("닉네임 (없으면 Enter): ")
	s.typeLine("민지")
	s.expect("비밀번호는 15자 이상")
	s.expect("새 비밀번호: ")
	s.typeLine("password123")
	s.expect("다시 입력하세요(2/3회).")
	s.typeLine(password)
	s.expect("새 비밀번호 확인: ")
	s.typeLine(password)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d; the terminal showed:\n%s", code, s.screen())
	}
	s.expect("조직과 관리자를 만들었습니다")
	page := run(t, env, password+"\n", "login", "--password-stdin")
	if !strings.Contains(page, "로그인했습니다: alice") {
		t.Fatalf("login: %s", page)
	}
	page = run(t, env, password+"\n", "account", "show", "--password-stdin", "-o", "json")
	for _, want := range []string{`"name": "김민지"`, `"nickname": "민지"`, `"uses_nicknames": true`, `"language": "ko"`} {
		if !strings.Contains(page, want) {
			t.Errorf("account show lacks %s:\n%s", want, page)
		}
	}

	s = start(t, env, "login")
	s.expect("alice의 비밀번호: ")
	s.typeLine("not the password at all")
	s.expect("비밀번호가 틀렸습니다: 4번 더 실패하면 계정이 15분 동안 잠깁니다. 다시 입력하세요(2/3회).")
	s.typeLine(password)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d; the terminal showed:\n%s", code, s.screen())
	}
	s.expect("로그인했습니다: alice")
	s.fits(80) // the retry line is wrapped at a space, not inside a word
}
