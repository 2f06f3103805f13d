package e2e

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	sdkiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/iam"
)

// TestIAMSuiteCoversEveryOperation keeps the SDK suite honest as the server grows: every IAM
// operation the server serves (a method of *iam.Service named after an operation of the API
// model, which internal/server binds by that name) must be called through the SDK client
// somewhere in the e2e package (not counting the pending file).
func TestIAMSuiteCoversEveryOperation(t *testing.T) {
	t.Parallel()
	served := map[string]bool{}
	svc := reflect.TypeFor[*iam.Service]()
	for i := range svc.NumMethod() {
		name := svc.Method(i).Name
		if _, ok := iamapi.Operations[name]; ok {
			served[name] = true
		}
	}
	if len(served) == 0 {
		t.Fatal("no IAM operation is served; the reflection over iam.Service found none")
	}

	// Any test file of the package counts: other suites (iam4_*_test.go, sts_*_test.go) drive
	// operations too.
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	called := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if f == "iam_pending_test.go" {
			continue // known server defects; not run, so not coverage
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				// c.CreateUser(ctx, &iam.CreateUserInput{…})
				called[fn.Sel.Name] = true
			case *ast.Ident:
				// iam.NewListUsersPaginator(c, …) counts for ListUsers.
				called[fn.Name] = true
			}
			return true
		})
	}
	sdk := reflect.TypeFor[*sdkiam.Client]()
	var missing []string
	for op := range served {
		if _, ok := sdk.MethodByName(op); !ok {
			t.Errorf("the server serves %s, which aws-sdk-go-v2's IAM client does not have", op)
			continue
		}
		if !called[op] && !called["New"+op+"Paginator"] {
			missing = append(missing, op)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("served IAM operations no SDK test calls (%d of %d): %v", len(missing), len(served), missing)
	}
}
