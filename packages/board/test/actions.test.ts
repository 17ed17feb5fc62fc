// Action kinds beyond JS exports: `command` (argv, params as JSON on stdin, JSON result on stdout,
// timeout, output limit, no shell) and `python` (module + function, params as keyword arguments).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { Board, ActionRegistry, parseActionsConfig } from '../src/index.js';
import { TOKEN, configDir, post, startBoard } from './helpers.js';

const COMMAND = new URL('./fixtures/command.js', import.meta.url).pathname;
const PY_MODULE = `import asyncio

def greet(name="User", excited=False):
    return {"status": "success", "message": f"Hi {name}{'!' if excited else '.'}"}

async def slow(seconds=0.01):
    await asyncio.sleep(seconds)
    print("this goes to stderr, not into the answer")
    return "slept"

def broken():
    raise ValueError("no luck")

NOT_CALLABLE = 3
`;

const ui = (buttons: Array<[string, string, Record<string, unknown>?]>): string =>
  `pages:\n  - name: P\n    id: p\n    buttons:\n${buttons.map(([id, action, params]) => `      - { id: ${id}, text: ${id}, action: ${action}, params: ${JSON.stringify(params ?? {})} }`).join('\n')}\n`;

describe('command and python actions', () => {
  let board: Board;
  let url: string;
  let dir: string;
  before(async () => {
    dir = configDir({
      'py_actions.py': PY_MODULE,
      'actions_config.yaml': `actions:
  - { id: cmd, argv: ["${process.execPath}", "${COMMAND}", "$(touch pwned)", "; rm -rf x"] }
  - { id: cmd_short, kind: command, argv: ["${process.execPath}", "${COMMAND}"], timeoutMs: 700, maxOutputBytes: 1000 }
  - { id: missing_program, argv: ["./no-such-program"] }
  - { id: py_greet, module: py_actions, function: greet }
  - { id: py_slow, kind: python, module: py_actions, export: slow, timeoutMs: 5000 }
  - { id: py_broken, module: py_actions, function: broken }
`,
      'ui_config.yaml': ui([
        ['cmd', 'cmd', { a: 1 }], ['text', 'cmd_short', { mode: 'text' }], ['fail', 'cmd_short', { mode: 'fail' }],
        ['flood', 'cmd_short', { mode: 'flood' }], ['hang', 'cmd_short', { mode: 'hang' }], ['env', 'cmd_short', { mode: 'env' }],
        ['missing', 'missing_program'], ['py', 'py_greet', { name: 'Ann', excited: true }], ['py_bad_kw', 'py_greet', { nom: 'x' }],
        ['py_slow', 'py_slow'], ['py_broken', 'py_broken'],
      ]),
    });
    ({ board, url } = await startBoard({ configDir: dir }));
  });
  after(() => board.close());

  const click = async (id: string): Promise<{ status: number; flag: string | null; text: string }> => {
    const r = await post(`${url}action/${id}`);
    return { status: r.status, flag: r.headers.get('x-ringkit-action'), text: r.text.replaceAll('&#39;', "'").replaceAll('&quot;', '"') };
  };

  test('a command gets the params as JSON on stdin and its argv without a shell; its JSON stdout is the result', async () => {
    const r = await click('cmd');
    assert.equal(r.flag, 'ok', r.text);
    assert.match(r.text, new RegExp(`params=\\{"a":1\\} argv=\\["\\$\\(touch pwned\\)","; rm -rf x"\\] cwd=${basename(dir)}<`));
    assert.match((await click('text')).text, />plain text result</, 'non-JSON stdout is the result text');
    assert.match((await click('env')).text, />token visible: false</, "the board's token stays out of the child's environment");
  });

  test('a failing, flooding, hanging or missing command is an error toast, never a crash', async () => {
    const fail = await click('fail');
    assert.equal(fail.flag, 'error');
    assert.match(fail.text, /Error during execution of action 'cmd_short': exited with code 3: something broke</);
    assert.match((await click('flood')).text, /wrote more than 1000 bytes to stdout \(maxOutputBytes=1000\)/);
    const t0 = Date.now();
    const hang = await click('hang');
    assert.equal(hang.flag, 'timeout');
    assert.match(hang.text, /Action 'cmd_short' timed out after 700 ms\./);
    assert.ok(Date.now() - t0 < 4000);
    assert.match((await click('missing')).text, /cannot run ".*no-such-program": no such program/);
  });

  test('python actions: keyword arguments, coroutines awaited, stdout kept out of the answer, errors as actionboard words them', async () => {
    assert.match((await click('py')).text, /class="toast show"><span id="toast-message-content">Hi Ann!</);
    assert.match((await click('py_bad_kw')).text, /Error during execution of action 'py_greet': greet\(\) got an unexpected keyword argument 'nom'</);
    assert.match((await click('py_slow')).text, />slept</);
    assert.match((await click('py_broken')).text, /Error during execution of action 'py_broken': no luck</);
  });

  test('loading checks python actions (one python3 run) and reports problems with paths relative to the config', async () => {
    const defs = parseActionsConfig({ actions: [
      { id: 'a', module: 'py_actions', function: 'nope' },
      { id: 'b', module: 'py_actions', function: 'NOT_CALLABLE' },
      { id: 'c', module: 'no_such_pkg.mod', function: 'f' },
      { id: 'd', kind: 'python', module: 'py_actions', export: 'greet' },
    ] }).actions;
    const { registry, problems } = await ActionRegistry.load(defs, dir);
    assert.deepEqual(registry.ids(), ['d']);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0]!, /^actions\.actions\[0\]\.module: cannot load python action "a" \(py_actions\.nope\): LookupError: module 'py_actions' has no attribute 'nope' \(no JS module of that name either: /);
    assert.match(problems[1]!, /TypeError: 'py_actions\.NOT_CALLABLE' is a int, not a function/);
    assert.match(problems[2]!, /ModuleNotFoundError: No module named 'no_such_pkg'/);
    for (const p of problems) assert.doesNotMatch(p, /\/tmp\/|\/work\/|file:/, p);
    const noPython = await ActionRegistry.load(defs.slice(3), dir, { python: '/nonexistent/python3' });
    assert.deepEqual(noPython.problems, ['actions.actions[0].module: cannot load python action "d" (py_actions.greet): …/python3 is not installed or not on PATH: python actions need Python 3 (Debian: apt-get install python3; or set RINGKIT_BOARD_PYTHON to the interpreter)']);
  });

  test("the demo actions answer to actionboard's function names too", async () => {
    const defs = parseActionsConfig({ actions: ['greet_user_action', 'log_current_time_action', 'example_async_action', 'another_action'].map((f) => ({ id: f, module: '@ringkit/board/actions', function: f, inline: true })) }).actions;
    const { registry, problems } = await ActionRegistry.load(defs, dir);
    assert.deepEqual(problems, []);
    assert.deepEqual(await registry.run('greet_user_action', { name: 'Ann' }), { status: 'ok', value: { status: 'success', message: 'Hello, Ann! This greeting action was successfully triggered.' } });
    assert.deepEqual(await registry.run('another_action', {}), { status: 'ok', value: { status: 'success', message: "The 'another_action' was performed successfully!" } });
  });

  test('the actions schema: each kind says what it needs', () => {
    const problems = (actions: unknown[]): string[] => {
      try {
        parseActionsConfig({ actions });
        return [];
      } catch (e) {
        return [...(e as { problems: string[] }).problems];
      }
    };
    assert.deepEqual(problems([{ id: 'a', kind: 'command' }]), ['actions[0].argv: a command action needs argv: the program and its arguments, e.g. ["./my-action.sh", "--flag"]']);
    assert.deepEqual(problems([{ id: 'a', argv: ['x'], module: 'm' }]), ['actions[0].module: is not used by a command action (it runs argv); remove it']);
    assert.deepEqual(problems([{ id: 'a', kind: 'python', module: 'a-b', function: 'f', inline: true }]), [
      'actions[0].inline: is not used by a python action (it always runs in its own python3 process)',
      'actions[0].module: must be a dotted Python module name such as "my_pkg.actions": "a-b"',
    ]);
    assert.deepEqual(problems([{ id: 'a', module: 'm' }]), ['actions[0].export: is required: the name of the function to call']);
  });

  test('staging with python3 missing is a 400 that says so', async () => {
    const b = await Board.create({ port: 0, token: TOKEN, configDir: dir, python: '/nonexistent/python3' });
    try {
      await b.listen();
      const r = await post(`${b.url}api/v1/config/stage`, { ui: { pages: [] }, actions: { actions: [{ id: 'p', module: 'py_actions', function: 'greet' }] } });
      assert.equal(r.status, 400);
      assert.match(r.text, /…\/python3 is not installed or not on PATH: python actions need Python 3/);
    } finally {
      await b.close();
    }
  });
});
