package auth

// Grace is a page opened by the session alone, within the organization's
// security.reauth_grace of the last password typed on it: no credential
// is given, and only pages that open no sealed secret accept it.
const Grace Method = "reauth_grace"
