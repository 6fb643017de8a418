package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/contact"
	"github.com/kcloud/kcloud/internal/delivery"
)

// The messages kcloud sends to a person whose account's language is ko
// (account set --language): codes and security notices, by email and SMS.
// Each is phrased so that no particle follows a name, an address or a
// number whose last sound kcloud would have to guess (을/를, 이/가): the
// value comes after a colon, before 님, or before 입니다, which fits both.
// Words follow docs/glossary.md.

// kst is Korea Standard Time, UTC+9 all year: a notice in Korean says
// the time as a Korean reader reads it, without a time zone database.
var kst = time.FixedZone("KST", 9*60*60)

// koTime is t as a Korean reader writes it: 2026년 12월 2일 19:11 KST.
func koTime(t time.Time) string {
	t = t.In(kst)
	return fmt.Sprintf("%d년 %d월 %d일 %02d:%02d KST", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// koDuration is d in hours, minutes and seconds: 15분, 1시간 30분, 24시간.
func koDuration(d time.Duration) string {
	if d < 0 { // a refused policy value: -1분
		return "-" + koDuration(-d)
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var parts []string
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%d시간", h))
	}
	if m > 0 {
		parts = append(parts, fmt.Sprintf("%d분", m))
	}
	if s > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d초", s))
	}
	return strings.Join(parts, " ")
}

// koAgo says how long ago, rounded as text.Ago rounds: 방금, 40초 전,
// 5분 전, 2시간 전, 3일 전.
func koAgo(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "방금"
	case d < time.Minute:
		return fmt.Sprintf("%d초 전", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d분 전", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d시간 전", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%d일 전", int(d.Round(24*time.Hour)/(24*time.Hour)))
}

// koRough is a large count in Korean units at a glance: 400, 4만, 3억.
func koRough(g float64) string {
	switch {
	case g < 1e4:
		return fmt.Sprintf("%.0f", g)
	case g < 1e8:
		return fmt.Sprintf("%.0f만", g/1e4)
	case g < 1e12:
		return fmt.Sprintf("%.0f억", g/1e8)
	}
	return fmt.Sprintf("%.0f조", g/1e12)
}

// koKind names a contact.
func koKind(k string) string {
	if k == string(contact.Phone) {
		return "휴대폰 번호"
	}
	return "이메일"
}

// koNotices words each notice (account.NoticeKeys) from its Args.
var koNotices = map[string]func(a []string) string{
	"password_disabled": func(a []string) string {
		return "연속 " + a[0] + "번 실패하여 비밀번호 사용이 중지되었습니다. kcloud account recover로 새 비밀번호를 설정하거나 관리자에게 초기화를 요청하세요"
	},
	"locked": func(a []string) string {
		until, err := time.Parse(time.RFC3339, a[0])
		if err != nil {
			return "연속 " + a[1] + "번 실패하여 계정이 잠겼습니다"
		}
		return "연속 " + a[1] + "번 실패하여 계정이 잠겼습니다. 잠금 해제: " + koTime(until)
	},
	"contact_verified": func(a []string) string { return "연락처가 인증되었습니다: " + koKind(a[0]) + " " + a[1] },
	"member_unlocked": func(a []string) string {
		return "관리자 " + a[0] + " 님이 계정 잠금과 실패 횟수를 초기화했습니다"
	},
	"member_otp_reset": func(a []string) string {
		return "관리자 " + a[0] + " 님이 인증 앱과 복구 코드를 삭제했습니다. kcloud otp register로 인증 앱을 다시 등록하세요"
	},
	"member_password_reset": func(a []string) string {
		return "관리자 " + a[0] + " 님이 비밀번호를 초기화하고 인증 앱과 복구 코드를 삭제했습니다. 모든 세션이 종료되었습니다. 관리자에게 받은 코드로 kcloud account recover --reset-code를 실행해 새 비밀번호를 설정하세요"
	},
	"member_disabled": func(a []string) string {
		return "관리자 " + a[0] + " 님이 계정을 사용 중지했습니다. 모든 세션이 종료되었습니다"
	},
	"member_enabled": func(a []string) string {
		return "관리자 " + a[0] + " 님이 계정을 다시 사용할 수 있게 했습니다"
	},
	"member_admin": func(a []string) string {
		return "관리자 " + a[0] + " 님이 계정을 조직의 관리자로 지정했습니다"
	},
	"member_not_admin": func(a []string) string {
		return "관리자 " + a[0] + " 님이 계정의 관리자 권한을 해제했습니다"
	},
	"member_deleted": func(a []string) string { return "관리자 " + a[0] + " 님이 계정을 삭제했습니다" },
	"recovered_by_admin_code": func(a []string) string {
		return "관리자 " + a[0] + " 님의 재설정 코드로 새 비밀번호가 설정되었습니다. 모든 세션이 종료되었습니다"
	},
	"otp_registered_named": func(a []string) string { return "2단계 인증 앱이 등록되었습니다: " + a[0] },
	"otp_registered":       func([]string) string { return "2단계 인증 앱이 등록되었습니다" },
	"otp_deleted_last": func([]string) string {
		return "인증 앱이 삭제되었습니다. 이제 로그인에는 비밀번호만 필요합니다"
	},
	"otp_deleted": func(a []string) string {
		return "인증 앱이 삭제되었습니다: " + a[0] + ". 남은 인증 앱: " + a[1] + "개"
	},
	"recovery_renewed": func([]string) string {
		return "새 복구 코드가 만들어졌습니다. 이전 복구 코드는 더 이상 쓸 수 없습니다"
	},
	"recovery_used": func(a []string) string {
		return "인증 앱 대신 복구 코드로 로그인했습니다. 남은 복구 코드: " + a[0] + "개"
	},
	"password_changed": func([]string) string { return "비밀번호가 변경되었습니다" },
	"recovery_sent":    func(a []string) string { return "비밀번호 재설정 코드를 보냈습니다: " + a[0] },
	"recovered": func(a []string) string {
		return "account recover로 비밀번호가 재설정되었습니다. 코드를 받은 곳: " + koKind(a[0]) + " " + a[1] + ". 모든 세션이 종료되었습니다"
	},
	"recovered_with_code": func(a []string) string {
		return "account recover로 비밀번호가 재설정되었습니다. 코드를 받은 곳: " + koKind(a[0]) + " " + a[1] + ", 복구 코드 사용(남은 복구 코드: " + a[2] + "개). 모든 세션이 종료되었습니다"
	},
	"logout_all": func([]string) string { return "모든 기기에서 계정의 모든 세션이 종료되었습니다" },
}

// koWhat words n in Korean; false when kcloud has no words for it (then
// the English ones go).
func koWhat(n account.Notice) (what string, ok bool) {
	f, known := koNotices[n.Key]
	if !known {
		return "", false
	}
	defer func() {
		if recover() != nil { // too few Args: the English words
			what, ok = "", false
		}
	}()
	return f(n.Args), true
}

func koCodeMessage(kind contact.Kind, to, code string, ttl time.Duration) delivery.Message {
	if kind == contact.Phone {
		return delivery.Message{To: to, Body: "[kcloud] 인증번호는 " + code + "입니다. " + koDuration(ttl) + " 동안 유효합니다."}
	}
	return delivery.Message{To: to, Subject: "kcloud 인증번호",
		Body: "kcloud 인증번호는 " + code + "입니다.\n\n" + koDuration(ttl) + " 동안 유효합니다. 요청하지 않으셨다면 이 메일을 무시하셔도 됩니다.\n"}
}

func koRecoverMessage(kind contact.Kind, to, code string, ttl time.Duration) delivery.Message {
	if kind == contact.Phone {
		return delivery.Message{To: to, Body: "[kcloud] 비밀번호 재설정 코드는 " + code + "입니다. " + koDuration(ttl) + " 동안 유효합니다."}
	}
	return delivery.Message{To: to, Subject: "kcloud 비밀번호 재설정 코드",
		Body: "kcloud 비밀번호 재설정 코드는 " + code + "입니다.\n\n" + koDuration(ttl) +
			" 동안 유효합니다. 요청하지 않으셨다면 누군가 사용자 ID를 알고 있는 것입니다. 비밀번호는 바뀌지 않았으니 이 메일을 무시하셔도 됩니다.\n"}
}

func koResetMessage(to, member, code, admin string, ttl time.Duration) delivery.Message {
	return delivery.Message{To: to, Subject: "kcloud 비밀번호가 초기화되었습니다",
		Body: "관리자 " + admin + " 님이 kcloud 비밀번호를 초기화했습니다. 일회용 재설정 코드: " + code + "\n\n" +
			"다음 명령으로 새 비밀번호를 설정하세요.\n\n    kcloud account recover --user-id " + member + " --reset-code " + code + "\n\n" +
			"코드는 한 번만 쓸 수 있으며 " + koDuration(ttl) + " 동안 유효합니다. 요청하지 않으셨다면 관리자에게 알려 주세요.\n"}
}

func koNoticeMessage(n account.Notice, what, host string) delivery.Message {
	body := fmt.Sprintf(`%s 님, 안녕하세요.

%s.

일시: %s
위치: %s의 kcloud

본인이 한 일이라면 따로 하실 일은 없습니다.

본인이 아니라면 누군가 비밀번호를 알고 있을 수 있습니다. 지금 로그인해
비밀번호를 변경하고(kcloud account password), 무슨 일이 있었는지
확인한 다음(kcloud account activity), 조직의 관리자에게 알려 주세요.

kcloud 보안 알림입니다. 이 메일에는 코드가 없으며 아무것도 요청하지
않습니다. kcloud는 이메일로 비밀번호를 묻지 않습니다.
`, unlikeCode(n.UserID), what, koTime(n.Time), host)
	return delivery.Message{To: n.To, Subject: "kcloud 보안 알림: " + what, Body: body}
}

func koSMSNotice(n account.Notice, what string) delivery.Message {
	return delivery.Message{To: n.To, Body: "[kcloud] " + unlikeCode(n.UserID) + ": " + what +
		". 본인이 아니라면 비밀번호를 변경하고(kcloud account password) 관리자에게 알려 주세요."}
}
