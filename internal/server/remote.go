package server

// RemoteChanged drops what other nodes' changes to these accounts made stale on this node
// (the wiring feeds it iam.Service.RemoteChange's answer for each key a kv.Watcher reports).
// Policy sets, trust policies and IAM read results are stamped with their account's
// generation and go stale by themselves once it moves; cached access keys are not, so a
// key another node deleted, deactivated or moved stops working here within the watcher's
// poll interval instead of living on in the cache.
func (s *Server) RemoteChanged(accounts []string) {
	if len(accounts) == 0 {
		return
	}
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	for id, e := range s.keys.m {
		for _, acct := range accounts {
			if e.caller.account.ID == acct {
				delete(s.keys.m, id)
				break
			}
		}
	}
}
