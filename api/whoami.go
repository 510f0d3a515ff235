package api

import (
	"net/http"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
)

// getWhoami answers GET /v1/whoami: the role, institution and person the server sees in
// the caller's credential, and what that role may do. The console shows it after sign-in
// (an export is recorded under this person), and a script can check a token before use.
// It reads no event data; it is in the read-audit log like every authenticated request.
func (s *Server) getWhoami(w http.ResponseWriter, r *http.Request) {
	p, _ := r.Context().Value(principalKey{}).(*auth.Principal)
	if p == nil { // no access control configured (tests, embedding): nobody in particular
		p = anonymous
	}
	out := client.Whoami{Role: string(p.Role), RoleZH: p.Role.ZH(), Institution: p.Institution, Person: p.Person,
		Credential: p.Credential, Method: p.Method,
		May: client.Abilities{Reports: []string{}, ReadsAll: p.Role.ReadsAll(), ReadsOwn: p.Role != auth.RoleSubmitter, Decrypts: p.Role.Decrypts(), Exports: p.Role.Exports()}}
	for _, k := range []string{"accountability", "emergencies", "findings", "obligations", "assessment"} {
		if p.Role.Reports(k) {
			out.May.Reports = append(out.May.Reports, k)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
