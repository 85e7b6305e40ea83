#!/usr/bin/env python3
"""Keeps CAIRN_TRY out of initializers and argument lists.

CAIRN_TRY(expr) is a GNU statement expression that returns from the enclosing function when
`expr` fails. If it does so in the middle of a larger expression, whatever that expression has
already built is never destroyed: returning out of a braced initializer after one of its members
was constructed leaked that member in parse_lock (g++ and clang alike). So CAIRN_TRY may only be
the first thing its statement evaluates:

    CAIRN_TRY(check());                         a statement of its own
    Type value = CAIRN_TRY(make());             the whole initializer of a declaration
    value = CAIRN_TRY(make());                  the whole right side of an assignment
    return CAIRN_TRY(make()).field;             the returned value (member access after it is fine)
    for (auto& x : CAIRN_TRY(list())) ...       the head of if/for/while/switch

and never inside braces of an initializer ({a, CAIRN_TRY(b)}, Type{CAIRN_TRY(b)}), inside the
parentheses of a call (f(x, CAIRN_TRY(y)), even as its only argument), nor after another operand
(a + CAIRN_TRY(b)). Hoist it into a statement of its own instead.

Usage: check_try_placement.py ROOT [ROOT...] | --self-test
Exit 0 when every use is in place; 1 listing each misplaced use as file:line: text.
"""
import os
import re
import sys

CONTROL_KEYWORDS = {"if", "for", "while", "switch", "catch"}
# Words after which a '{' opens a block, not an initializer.
BLOCK_WORDS = {"else", "do", "try", "const", "noexcept", "mutable", "override", "final"}
SOURCE_SUFFIXES = (".cc", ".h", ".cpp", ".hpp")


def strip_comments_and_strings(text):
    """Blanks out comments, string and character literals, keeping newlines and offsets."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == '_')):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def previous_word(text, end):
    """The identifier (or operator character) that ends just before `end`, skipping spaces."""
    j = end
    while j > 0 and text[j - 1].isspace():
        j -= 1
    k = j
    while k > 0 and (text[k - 1].isalnum() or text[k - 1] == "_"):
        k -= 1
    if k < j:
        return text[k:j], k
    return (text[j - 1] if j > 0 else ""), j - 1


def brace_opens_block(text, index):
    """Whether the '{' at `index` opens a block (function, lambda or control body, namespace, class)."""
    word, start = previous_word(text, index)
    if word in (")", ";", "{", "}", "]", ">", ":") or word in BLOCK_WORDS:
        if word == ">":
            # "-> Result<T> {" is a lambda's or function's trailing return type; "vector<T>{" is not.
            line_start = text.rfind("\n", 0, index) + 1
            return "->" in text[line_start:index]
        if word == ")":
            # "f(x) {" is a body; "T(x){" cannot be told apart, but such initializers are rare.
            return True
        return True
    if word in ("namespace", "struct", "class", "enum", "union", "extern"):
        return True
    # "namespace cairn::x {", "class A : public B {", "struct S final {": look back to the line start.
    line_start = text.rfind("\n", 0, index) + 1
    head = text[line_start:index].strip()
    return bool(re.match(r"(namespace|class|struct|enum|union)\b", head))


def strip_control_heads(statement):
    """Removes leading `if (...)`, `for (...)`, `while (...)`, `else`, `do` and labels."""
    while True:
        statement = statement.lstrip()
        m = re.match(r"(if|for|while|switch)\s*\(", statement)
        if m:
            depth, j = 0, m.end() - 1
            while j < len(statement):
                depth += {"(": 1, ")": -1}.get(statement[j], 0)
                j += 1
                if depth == 0:
                    break
            statement = statement[j:]
            continue
        m = re.match(r"(else|do)\b|(case\s+(?:[^:]|::)+?|default|public|private|protected)\s*:(?!:)", statement)
        if m:
            statement = statement[m.end():]
            continue
        return statement


def allowed_prefix(before):
    """Whether what comes before CAIRN_TRY in its statement leaves it the first thing evaluated:
    nothing, a declaration or assignment ending in '=', or return (a unary * or ! may follow)."""
    rest = " ".join(strip_control_heads(before).split())
    if not rest:
        return True
    rest = re.sub(r"\s*[*!&]\s*$", "", rest)
    if re.fullmatch(r"(co_)?return", rest):
        return True
    # An assignment or initialization: ends with '=' that is not part of ==, !=, <=, >=, += ...
    return bool(re.fullmatch(r".*[^=!<>+\-*/%&|^]=", rest)) and "?" not in rest


def misplaced(text):
    """Yields the offsets of CAIRN_TRY uses that are not the first thing of their statement."""
    for match in re.finditer(r"\bCAIRN_TRY\s*\(", text):
        position = match.start()
        depth = 0
        i = position - 1
        problem = False
        skip_prefix = False
        while i >= 0:
            c = text[i]
            if c == "}" and depth == 0:
                break  # the end of the statement or block before
            if c in ")]}":
                depth += 1
            elif c in "([{":
                if depth > 0:
                    depth -= 1
                elif c == "(":
                    word, _ = previous_word(text, i)
                    if word in CONTROL_KEYWORDS:
                        # The head of a control statement: CAIRN_TRY may be its condition, the
                        # range of a range-for or the initializer of a declaration there.
                        head = " ".join(text[i + 1:position].split())
                        if head and not re.fullmatch(r".*[^:]:|.*[^=!<>+\-*/%&|^]=", head):
                            problem = True
                        skip_prefix = True
                        break
                    problem = True  # an argument list (or a parenthesised operand)
                    break
                elif c == "[":
                    problem = True
                    break
                else:  # '{'
                    if brace_opens_block(text, i):
                        break
                    problem = True  # an initializer
                    break
            elif depth == 0 and c == ";":
                break
            elif depth == 0 and c == ",":
                problem = True  # after another argument, element or declarator
                break
            i -= 1
        if not problem and not skip_prefix and not allowed_prefix(text[i + 1:position]):
            problem = True
        if problem:
            yield position


def check_file(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        original = handle.read()
    text = strip_comments_and_strings(original)
    found = []
    for position in misplaced(text):
        line = original.count("\n", 0, position) + 1
        found.append((path, line, original.splitlines()[line - 1].strip()))
    return found


def check_roots(roots):
    problems = []
    for root in roots:
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith((".", "build")))
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    path = os.path.join(directory, name)
                    if path.endswith(os.path.join("core", "include", "cairn", "core", "result.h")):
                        continue  # defines the macro
                    problems.extend(check_file(path))
    return problems


SELF_TEST_GOOD = """
Result<int> f() {
  if (!written.empty()) CAIRN_TRY(write(output));
  for (const auto* signer : signers) CAIRN_TRY(sign(document, *signer));
  if (a) {
    x();
  } else CAIRN_TRY(check());
  const Library& library = *CAIRN_TRY(load());
  switch (kind) {
    case Kind::a: CAIRN_TRY(check()); break;
    default:
      CAIRN_TRY(check());
  }
  CAIRN_TRY(check());
  int a = CAIRN_TRY(make());
  a = CAIRN_TRY(make());
  object.field = CAIRN_TRY(make());
  map[key] = CAIRN_TRY(make());
  std::string text = CAIRN_TRY(read()).substr(1);
  for (const auto& item : CAIRN_TRY(list())) use(item);
  if (auto x = CAIRN_TRY(get()); x > 0) return x;
  auto lambda = [&]() -> Result<int> { return CAIRN_TRY(make()); };
  auto other = [&] { CAIRN_TRY(check()); };
  fs::path p = CAIRN_TRY(directory()) / "store";
  // CAIRN_TRY(in a comment, f(x, CAIRN_TRY(y)))
  const char* s = "f(x, CAIRN_TRY(y))";
  return CAIRN_TRY(make()).value;
}
"""
SELF_TEST_BAD = [
    "void f() { Ref r{a, CAIRN_TRY(b)}; }",
    "void f() { Ref r = Ref{std::string(a), CAIRN_TRY(b)}; }",
    "void f() { g(x, CAIRN_TRY(y)); }",
    "void f() { list.push_back(CAIRN_TRY(y)); }",
    "void f() { int a = 1 + CAIRN_TRY(y); }",
    "void f() { auto r = make_error(code, \"{}\", CAIRN_TRY(y)); }",
    "void f() { x = {CAIRN_TRY(a), b}; }",
    "void f() { T x(CAIRN_TRY(a)); }",
    "void f() { int a = CAIRN_TRY(CAIRN_TRY(b).c()); }",
    "void f() { fs::path root = empty ? CAIRN_TRY(directory()) : store; }",
    "void f() { if (a) g(CAIRN_TRY(b)); }",
    "void f() { T x = a == CAIRN_TRY(b); }",
]


def self_test():
    failures = 0
    good = list(misplaced(strip_comments_and_strings(SELF_TEST_GOOD)))
    if good:
        failures += 1
        for position in good:
            line = SELF_TEST_GOOD.count("\n", 0, position) + 1
            print(f"self-test: accepted use refused at line {line}: {SELF_TEST_GOOD.splitlines()[line - 1].strip()}")
    for snippet in SELF_TEST_BAD:
        if not list(misplaced(strip_comments_and_strings(snippet))):
            failures += 1
            print(f"self-test: misplaced use not found: {snippet}")
    print(f"self-test: {len(SELF_TEST_BAD)} misplaced uses, 1 file of good ones: {'ok' if failures == 0 else 'FAILED'}")
    return 1 if failures else 0


def main(arguments):
    if arguments == ["--self-test"]:
        return self_test()
    if not arguments:
        print(__doc__)
        return 2
    problems = check_roots(arguments)
    for path, line, source in problems:
        print(f"{path}:{line}: CAIRN_TRY inside an initializer, argument list or expression: {source}")
    if problems:
        print(f"{len(problems)} misplaced CAIRN_TRY: hoist each into a statement of its own (see this script's header)")
        return 1
    print("every CAIRN_TRY is the first thing its statement evaluates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
