import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  UsageError,
  __commonJS,
  __require,
  __toESM
} from "./chunk-LC4ICV72.js";

// ../../work/main/node_modules/ajv/dist/compile/codegen/code.js
var require_code = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/codegen/code.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.regexpCode = exports.getEsmExportName = exports.getProperty = exports.safeStringify = exports.stringify = exports.strConcat = exports.addCodeArg = exports.str = exports._ = exports.nil = exports._Code = exports.Name = exports.IDENTIFIER = exports._CodeOrName = void 0;
    var _CodeOrName = class {
    };
    exports._CodeOrName = _CodeOrName;
    exports.IDENTIFIER = /^[a-z$_][a-z$_0-9]*$/i;
    var Name = class extends _CodeOrName {
      constructor(s) {
        super();
        if (!exports.IDENTIFIER.test(s))
          throw new Error("CodeGen: name must be a valid identifier");
        this.str = s;
      }
      toString() {
        return this.str;
      }
      emptyStr() {
        return false;
      }
      get names() {
        return { [this.str]: 1 };
      }
    };
    exports.Name = Name;
    var _Code = class extends _CodeOrName {
      constructor(code) {
        super();
        this._items = typeof code === "string" ? [code] : code;
      }
      toString() {
        return this.str;
      }
      emptyStr() {
        if (this._items.length > 1)
          return false;
        const item = this._items[0];
        return item === "" || item === '""';
      }
      get str() {
        var _a;
        return (_a = this._str) !== null && _a !== void 0 ? _a : this._str = this._items.reduce((s, c) => `${s}${c}`, "");
      }
      get names() {
        var _a;
        return (_a = this._names) !== null && _a !== void 0 ? _a : this._names = this._items.reduce((names, c) => {
          if (c instanceof Name)
            names[c.str] = (names[c.str] || 0) + 1;
          return names;
        }, {});
      }
    };
    exports._Code = _Code;
    exports.nil = new _Code("");
    function _(strs, ...args) {
      const code = [strs[0]];
      let i = 0;
      while (i < args.length) {
        addCodeArg(code, args[i]);
        code.push(strs[++i]);
      }
      return new _Code(code);
    }
    exports._ = _;
    var plus = new _Code("+");
    function str2(strs, ...args) {
      const expr = [safeStringify(strs[0])];
      let i = 0;
      while (i < args.length) {
        expr.push(plus);
        addCodeArg(expr, args[i]);
        expr.push(plus, safeStringify(strs[++i]));
      }
      optimize(expr);
      return new _Code(expr);
    }
    exports.str = str2;
    function addCodeArg(code, arg) {
      if (arg instanceof _Code)
        code.push(...arg._items);
      else if (arg instanceof Name)
        code.push(arg);
      else
        code.push(interpolate(arg));
    }
    exports.addCodeArg = addCodeArg;
    function optimize(expr) {
      let i = 1;
      while (i < expr.length - 1) {
        if (expr[i] === plus) {
          const res = mergeExprItems(expr[i - 1], expr[i + 1]);
          if (res !== void 0) {
            expr.splice(i - 1, 3, res);
            continue;
          }
          expr[i++] = "+";
        }
        i++;
      }
    }
    function mergeExprItems(a, b) {
      if (b === '""')
        return a;
      if (a === '""')
        return b;
      if (typeof a == "string") {
        if (b instanceof Name || a[a.length - 1] !== '"')
          return;
        if (typeof b != "string")
          return `${a.slice(0, -1)}${b}"`;
        if (b[0] === '"')
          return a.slice(0, -1) + b.slice(1);
        return;
      }
      if (typeof b == "string" && b[0] === '"' && !(a instanceof Name))
        return `"${a}${b.slice(1)}`;
      return;
    }
    function strConcat(c1, c2) {
      return c2.emptyStr() ? c1 : c1.emptyStr() ? c2 : str2`${c1}${c2}`;
    }
    exports.strConcat = strConcat;
    function interpolate(x) {
      return typeof x == "number" || typeof x == "boolean" || x === null ? x : safeStringify(Array.isArray(x) ? x.join(",") : x);
    }
    function stringify(x) {
      return new _Code(safeStringify(x));
    }
    exports.stringify = stringify;
    function safeStringify(x) {
      return JSON.stringify(x).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
    }
    exports.safeStringify = safeStringify;
    function getProperty(key) {
      return typeof key == "string" && exports.IDENTIFIER.test(key) ? new _Code(`.${key}`) : _`[${key}]`;
    }
    exports.getProperty = getProperty;
    function getEsmExportName(key) {
      if (typeof key == "string" && exports.IDENTIFIER.test(key)) {
        return new _Code(`${key}`);
      }
      throw new Error(`CodeGen: invalid export name: ${key}, use explicit $id name mapping`);
    }
    exports.getEsmExportName = getEsmExportName;
    function regexpCode(rx) {
      return new _Code(rx.toString());
    }
    exports.regexpCode = regexpCode;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/codegen/scope.js
var require_scope = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/codegen/scope.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.ValueScope = exports.ValueScopeName = exports.Scope = exports.varKinds = exports.UsedValueState = void 0;
    var code_1 = require_code();
    var ValueError = class extends Error {
      constructor(name) {
        super(`CodeGen: "code" for ${name} not defined`);
        this.value = name.value;
      }
    };
    var UsedValueState;
    (function(UsedValueState2) {
      UsedValueState2[UsedValueState2["Started"] = 0] = "Started";
      UsedValueState2[UsedValueState2["Completed"] = 1] = "Completed";
    })(UsedValueState || (exports.UsedValueState = UsedValueState = {}));
    exports.varKinds = {
      const: new code_1.Name("const"),
      let: new code_1.Name("let"),
      var: new code_1.Name("var")
    };
    var Scope = class {
      constructor({ prefixes, parent } = {}) {
        this._names = {};
        this._prefixes = prefixes;
        this._parent = parent;
      }
      toName(nameOrPrefix) {
        return nameOrPrefix instanceof code_1.Name ? nameOrPrefix : this.name(nameOrPrefix);
      }
      name(prefix) {
        return new code_1.Name(this._newName(prefix));
      }
      _newName(prefix) {
        const ng = this._names[prefix] || this._nameGroup(prefix);
        return `${prefix}${ng.index++}`;
      }
      _nameGroup(prefix) {
        var _a, _b;
        if (((_b = (_a = this._parent) === null || _a === void 0 ? void 0 : _a._prefixes) === null || _b === void 0 ? void 0 : _b.has(prefix)) || this._prefixes && !this._prefixes.has(prefix)) {
          throw new Error(`CodeGen: prefix "${prefix}" is not allowed in this scope`);
        }
        return this._names[prefix] = { prefix, index: 0 };
      }
    };
    exports.Scope = Scope;
    var ValueScopeName = class extends code_1.Name {
      constructor(prefix, nameStr) {
        super(nameStr);
        this.prefix = prefix;
      }
      setValue(value, { property, itemIndex }) {
        this.value = value;
        this.scopePath = (0, code_1._)`.${new code_1.Name(property)}[${itemIndex}]`;
      }
    };
    exports.ValueScopeName = ValueScopeName;
    var line3 = (0, code_1._)`\n`;
    var ValueScope = class extends Scope {
      constructor(opts) {
        super(opts);
        this._values = {};
        this._scope = opts.scope;
        this.opts = { ...opts, _n: opts.lines ? line3 : code_1.nil };
      }
      get() {
        return this._scope;
      }
      name(prefix) {
        return new ValueScopeName(prefix, this._newName(prefix));
      }
      value(nameOrPrefix, value) {
        var _a;
        if (value.ref === void 0)
          throw new Error("CodeGen: ref must be passed in value");
        const name = this.toName(nameOrPrefix);
        const { prefix } = name;
        const valueKey = (_a = value.key) !== null && _a !== void 0 ? _a : value.ref;
        let vs = this._values[prefix];
        if (vs) {
          const _name = vs.get(valueKey);
          if (_name)
            return _name;
        } else {
          vs = this._values[prefix] = /* @__PURE__ */ new Map();
        }
        vs.set(valueKey, name);
        const s = this._scope[prefix] || (this._scope[prefix] = []);
        const itemIndex = s.length;
        s[itemIndex] = value.ref;
        name.setValue(value, { property: prefix, itemIndex });
        return name;
      }
      getValue(prefix, keyOrRef) {
        const vs = this._values[prefix];
        if (!vs)
          return;
        return vs.get(keyOrRef);
      }
      scopeRefs(scopeName, values = this._values) {
        return this._reduceValues(values, (name) => {
          if (name.scopePath === void 0)
            throw new Error(`CodeGen: name "${name}" has no value`);
          return (0, code_1._)`${scopeName}${name.scopePath}`;
        });
      }
      scopeCode(values = this._values, usedValues, getCode) {
        return this._reduceValues(values, (name) => {
          if (name.value === void 0)
            throw new Error(`CodeGen: name "${name}" has no value`);
          return name.value.code;
        }, usedValues, getCode);
      }
      _reduceValues(values, valueCode, usedValues = {}, getCode) {
        let code = code_1.nil;
        for (const prefix in values) {
          const vs = values[prefix];
          if (!vs)
            continue;
          const nameSet = usedValues[prefix] = usedValues[prefix] || /* @__PURE__ */ new Map();
          vs.forEach((name) => {
            if (nameSet.has(name))
              return;
            nameSet.set(name, UsedValueState.Started);
            let c = valueCode(name);
            if (c) {
              const def = this.opts.es5 ? exports.varKinds.var : exports.varKinds.const;
              code = (0, code_1._)`${code}${def} ${name} = ${c};${this.opts._n}`;
            } else if (c = getCode === null || getCode === void 0 ? void 0 : getCode(name)) {
              code = (0, code_1._)`${code}${c}${this.opts._n}`;
            } else {
              throw new ValueError(name);
            }
            nameSet.set(name, UsedValueState.Completed);
          });
        }
        return code;
      }
    };
    exports.ValueScope = ValueScope;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/codegen/index.js
var require_codegen = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/codegen/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.or = exports.and = exports.not = exports.CodeGen = exports.operators = exports.varKinds = exports.ValueScopeName = exports.ValueScope = exports.Scope = exports.Name = exports.regexpCode = exports.stringify = exports.getProperty = exports.nil = exports.strConcat = exports.str = exports._ = void 0;
    var code_1 = require_code();
    var scope_1 = require_scope();
    var code_2 = require_code();
    Object.defineProperty(exports, "_", { enumerable: true, get: function() {
      return code_2._;
    } });
    Object.defineProperty(exports, "str", { enumerable: true, get: function() {
      return code_2.str;
    } });
    Object.defineProperty(exports, "strConcat", { enumerable: true, get: function() {
      return code_2.strConcat;
    } });
    Object.defineProperty(exports, "nil", { enumerable: true, get: function() {
      return code_2.nil;
    } });
    Object.defineProperty(exports, "getProperty", { enumerable: true, get: function() {
      return code_2.getProperty;
    } });
    Object.defineProperty(exports, "stringify", { enumerable: true, get: function() {
      return code_2.stringify;
    } });
    Object.defineProperty(exports, "regexpCode", { enumerable: true, get: function() {
      return code_2.regexpCode;
    } });
    Object.defineProperty(exports, "Name", { enumerable: true, get: function() {
      return code_2.Name;
    } });
    var scope_2 = require_scope();
    Object.defineProperty(exports, "Scope", { enumerable: true, get: function() {
      return scope_2.Scope;
    } });
    Object.defineProperty(exports, "ValueScope", { enumerable: true, get: function() {
      return scope_2.ValueScope;
    } });
    Object.defineProperty(exports, "ValueScopeName", { enumerable: true, get: function() {
      return scope_2.ValueScopeName;
    } });
    Object.defineProperty(exports, "varKinds", { enumerable: true, get: function() {
      return scope_2.varKinds;
    } });
    exports.operators = {
      GT: new code_1._Code(">"),
      GTE: new code_1._Code(">="),
      LT: new code_1._Code("<"),
      LTE: new code_1._Code("<="),
      EQ: new code_1._Code("==="),
      NEQ: new code_1._Code("!=="),
      NOT: new code_1._Code("!"),
      OR: new code_1._Code("||"),
      AND: new code_1._Code("&&"),
      ADD: new code_1._Code("+")
    };
    var Node = class {
      optimizeNodes() {
        return this;
      }
      optimizeNames(_names, _constants) {
        return this;
      }
    };
    var Def = class extends Node {
      constructor(varKind, name, rhs) {
        super();
        this.varKind = varKind;
        this.name = name;
        this.rhs = rhs;
      }
      render({ es5, _n }) {
        const varKind = es5 ? scope_1.varKinds.var : this.varKind;
        const rhs = this.rhs === void 0 ? "" : ` = ${this.rhs}`;
        return `${varKind} ${this.name}${rhs};` + _n;
      }
      optimizeNames(names, constants) {
        if (!names[this.name.str])
          return;
        if (this.rhs)
          this.rhs = optimizeExpr(this.rhs, names, constants);
        return this;
      }
      get names() {
        return this.rhs instanceof code_1._CodeOrName ? this.rhs.names : {};
      }
    };
    var Assign = class extends Node {
      constructor(lhs, rhs, sideEffects) {
        super();
        this.lhs = lhs;
        this.rhs = rhs;
        this.sideEffects = sideEffects;
      }
      render({ _n }) {
        return `${this.lhs} = ${this.rhs};` + _n;
      }
      optimizeNames(names, constants) {
        if (this.lhs instanceof code_1.Name && !names[this.lhs.str] && !this.sideEffects)
          return;
        this.rhs = optimizeExpr(this.rhs, names, constants);
        return this;
      }
      get names() {
        const names = this.lhs instanceof code_1.Name ? {} : { ...this.lhs.names };
        return addExprNames(names, this.rhs);
      }
    };
    var AssignOp = class extends Assign {
      constructor(lhs, op, rhs, sideEffects) {
        super(lhs, rhs, sideEffects);
        this.op = op;
      }
      render({ _n }) {
        return `${this.lhs} ${this.op}= ${this.rhs};` + _n;
      }
    };
    var Label = class extends Node {
      constructor(label) {
        super();
        this.label = label;
        this.names = {};
      }
      render({ _n }) {
        return `${this.label}:` + _n;
      }
    };
    var Break = class extends Node {
      constructor(label) {
        super();
        this.label = label;
        this.names = {};
      }
      render({ _n }) {
        const label = this.label ? ` ${this.label}` : "";
        return `break${label};` + _n;
      }
    };
    var Throw = class extends Node {
      constructor(error) {
        super();
        this.error = error;
      }
      render({ _n }) {
        return `throw ${this.error};` + _n;
      }
      get names() {
        return this.error.names;
      }
    };
    var AnyCode = class extends Node {
      constructor(code) {
        super();
        this.code = code;
      }
      render({ _n }) {
        return `${this.code};` + _n;
      }
      optimizeNodes() {
        return `${this.code}` ? this : void 0;
      }
      optimizeNames(names, constants) {
        this.code = optimizeExpr(this.code, names, constants);
        return this;
      }
      get names() {
        return this.code instanceof code_1._CodeOrName ? this.code.names : {};
      }
    };
    var ParentNode = class extends Node {
      constructor(nodes = []) {
        super();
        this.nodes = nodes;
      }
      render(opts) {
        return this.nodes.reduce((code, n) => code + n.render(opts), "");
      }
      optimizeNodes() {
        const { nodes } = this;
        let i = nodes.length;
        while (i--) {
          const n = nodes[i].optimizeNodes();
          if (Array.isArray(n))
            nodes.splice(i, 1, ...n);
          else if (n)
            nodes[i] = n;
          else
            nodes.splice(i, 1);
        }
        return nodes.length > 0 ? this : void 0;
      }
      optimizeNames(names, constants) {
        const { nodes } = this;
        let i = nodes.length;
        while (i--) {
          const n = nodes[i];
          if (n.optimizeNames(names, constants))
            continue;
          subtractNames(names, n.names);
          nodes.splice(i, 1);
        }
        return nodes.length > 0 ? this : void 0;
      }
      get names() {
        return this.nodes.reduce((names, n) => addNames(names, n.names), {});
      }
    };
    var BlockNode = class extends ParentNode {
      render(opts) {
        return "{" + opts._n + super.render(opts) + "}" + opts._n;
      }
    };
    var Root = class extends ParentNode {
    };
    var Else = class extends BlockNode {
    };
    Else.kind = "else";
    var If = class _If extends BlockNode {
      constructor(condition, nodes) {
        super(nodes);
        this.condition = condition;
      }
      render(opts) {
        let code = `if(${this.condition})` + super.render(opts);
        if (this.else)
          code += "else " + this.else.render(opts);
        return code;
      }
      optimizeNodes() {
        super.optimizeNodes();
        const cond = this.condition;
        if (cond === true)
          return this.nodes;
        let e = this.else;
        if (e) {
          const ns = e.optimizeNodes();
          e = this.else = Array.isArray(ns) ? new Else(ns) : ns;
        }
        if (e) {
          if (cond === false)
            return e instanceof _If ? e : e.nodes;
          if (this.nodes.length)
            return this;
          return new _If(not(cond), e instanceof _If ? [e] : e.nodes);
        }
        if (cond === false || !this.nodes.length)
          return void 0;
        return this;
      }
      optimizeNames(names, constants) {
        var _a;
        this.else = (_a = this.else) === null || _a === void 0 ? void 0 : _a.optimizeNames(names, constants);
        if (!(super.optimizeNames(names, constants) || this.else))
          return;
        this.condition = optimizeExpr(this.condition, names, constants);
        return this;
      }
      get names() {
        const names = super.names;
        addExprNames(names, this.condition);
        if (this.else)
          addNames(names, this.else.names);
        return names;
      }
    };
    If.kind = "if";
    var For = class extends BlockNode {
    };
    For.kind = "for";
    var ForLoop = class extends For {
      constructor(iteration) {
        super();
        this.iteration = iteration;
      }
      render(opts) {
        return `for(${this.iteration})` + super.render(opts);
      }
      optimizeNames(names, constants) {
        if (!super.optimizeNames(names, constants))
          return;
        this.iteration = optimizeExpr(this.iteration, names, constants);
        return this;
      }
      get names() {
        return addNames(super.names, this.iteration.names);
      }
    };
    var ForRange = class extends For {
      constructor(varKind, name, from, to) {
        super();
        this.varKind = varKind;
        this.name = name;
        this.from = from;
        this.to = to;
      }
      render(opts) {
        const varKind = opts.es5 ? scope_1.varKinds.var : this.varKind;
        const { name, from, to } = this;
        return `for(${varKind} ${name}=${from}; ${name}<${to}; ${name}++)` + super.render(opts);
      }
      get names() {
        const names = addExprNames(super.names, this.from);
        return addExprNames(names, this.to);
      }
    };
    var ForIter = class extends For {
      constructor(loop, varKind, name, iterable) {
        super();
        this.loop = loop;
        this.varKind = varKind;
        this.name = name;
        this.iterable = iterable;
      }
      render(opts) {
        return `for(${this.varKind} ${this.name} ${this.loop} ${this.iterable})` + super.render(opts);
      }
      optimizeNames(names, constants) {
        if (!super.optimizeNames(names, constants))
          return;
        this.iterable = optimizeExpr(this.iterable, names, constants);
        return this;
      }
      get names() {
        return addNames(super.names, this.iterable.names);
      }
    };
    var Func = class extends BlockNode {
      constructor(name, args, async) {
        super();
        this.name = name;
        this.args = args;
        this.async = async;
      }
      render(opts) {
        const _async = this.async ? "async " : "";
        return `${_async}function ${this.name}(${this.args})` + super.render(opts);
      }
    };
    Func.kind = "func";
    var Return = class extends ParentNode {
      render(opts) {
        return "return " + super.render(opts);
      }
    };
    Return.kind = "return";
    var Try = class extends BlockNode {
      render(opts) {
        let code = "try" + super.render(opts);
        if (this.catch)
          code += this.catch.render(opts);
        if (this.finally)
          code += this.finally.render(opts);
        return code;
      }
      optimizeNodes() {
        var _a, _b;
        super.optimizeNodes();
        (_a = this.catch) === null || _a === void 0 ? void 0 : _a.optimizeNodes();
        (_b = this.finally) === null || _b === void 0 ? void 0 : _b.optimizeNodes();
        return this;
      }
      optimizeNames(names, constants) {
        var _a, _b;
        super.optimizeNames(names, constants);
        (_a = this.catch) === null || _a === void 0 ? void 0 : _a.optimizeNames(names, constants);
        (_b = this.finally) === null || _b === void 0 ? void 0 : _b.optimizeNames(names, constants);
        return this;
      }
      get names() {
        const names = super.names;
        if (this.catch)
          addNames(names, this.catch.names);
        if (this.finally)
          addNames(names, this.finally.names);
        return names;
      }
    };
    var Catch = class extends BlockNode {
      constructor(error) {
        super();
        this.error = error;
      }
      render(opts) {
        return `catch(${this.error})` + super.render(opts);
      }
    };
    Catch.kind = "catch";
    var Finally = class extends BlockNode {
      render(opts) {
        return "finally" + super.render(opts);
      }
    };
    Finally.kind = "finally";
    var CodeGen = class {
      constructor(extScope, opts = {}) {
        this._values = {};
        this._blockStarts = [];
        this._constants = {};
        this.opts = { ...opts, _n: opts.lines ? "\n" : "" };
        this._extScope = extScope;
        this._scope = new scope_1.Scope({ parent: extScope });
        this._nodes = [new Root()];
      }
      toString() {
        return this._root.render(this.opts);
      }
      // returns unique name in the internal scope
      name(prefix) {
        return this._scope.name(prefix);
      }
      // reserves unique name in the external scope
      scopeName(prefix) {
        return this._extScope.name(prefix);
      }
      // reserves unique name in the external scope and assigns value to it
      scopeValue(prefixOrName, value) {
        const name = this._extScope.value(prefixOrName, value);
        const vs = this._values[name.prefix] || (this._values[name.prefix] = /* @__PURE__ */ new Set());
        vs.add(name);
        return name;
      }
      getScopeValue(prefix, keyOrRef) {
        return this._extScope.getValue(prefix, keyOrRef);
      }
      // return code that assigns values in the external scope to the names that are used internally
      // (same names that were returned by gen.scopeName or gen.scopeValue)
      scopeRefs(scopeName) {
        return this._extScope.scopeRefs(scopeName, this._values);
      }
      scopeCode() {
        return this._extScope.scopeCode(this._values);
      }
      _def(varKind, nameOrPrefix, rhs, constant) {
        const name = this._scope.toName(nameOrPrefix);
        if (rhs !== void 0 && constant)
          this._constants[name.str] = rhs;
        this._leafNode(new Def(varKind, name, rhs));
        return name;
      }
      // `const` declaration (`var` in es5 mode)
      const(nameOrPrefix, rhs, _constant) {
        return this._def(scope_1.varKinds.const, nameOrPrefix, rhs, _constant);
      }
      // `let` declaration with optional assignment (`var` in es5 mode)
      let(nameOrPrefix, rhs, _constant) {
        return this._def(scope_1.varKinds.let, nameOrPrefix, rhs, _constant);
      }
      // `var` declaration with optional assignment
      var(nameOrPrefix, rhs, _constant) {
        return this._def(scope_1.varKinds.var, nameOrPrefix, rhs, _constant);
      }
      // assignment code
      assign(lhs, rhs, sideEffects) {
        return this._leafNode(new Assign(lhs, rhs, sideEffects));
      }
      // `+=` code
      add(lhs, rhs) {
        return this._leafNode(new AssignOp(lhs, exports.operators.ADD, rhs));
      }
      // appends passed SafeExpr to code or executes Block
      code(c) {
        if (typeof c == "function")
          c();
        else if (c !== code_1.nil)
          this._leafNode(new AnyCode(c));
        return this;
      }
      // returns code for object literal for the passed argument list of key-value pairs
      object(...keyValues) {
        const code = ["{"];
        for (const [key, value] of keyValues) {
          if (code.length > 1)
            code.push(",");
          code.push(key);
          if (key !== value || this.opts.es5) {
            code.push(":");
            (0, code_1.addCodeArg)(code, value);
          }
        }
        code.push("}");
        return new code_1._Code(code);
      }
      // `if` clause (or statement if `thenBody` and, optionally, `elseBody` are passed)
      if(condition, thenBody, elseBody) {
        this._blockNode(new If(condition));
        if (thenBody && elseBody) {
          this.code(thenBody).else().code(elseBody).endIf();
        } else if (thenBody) {
          this.code(thenBody).endIf();
        } else if (elseBody) {
          throw new Error('CodeGen: "else" body without "then" body');
        }
        return this;
      }
      // `else if` clause - invalid without `if` or after `else` clauses
      elseIf(condition) {
        return this._elseNode(new If(condition));
      }
      // `else` clause - only valid after `if` or `else if` clauses
      else() {
        return this._elseNode(new Else());
      }
      // end `if` statement (needed if gen.if was used only with condition)
      endIf() {
        return this._endBlockNode(If, Else);
      }
      _for(node2, forBody) {
        this._blockNode(node2);
        if (forBody)
          this.code(forBody).endFor();
        return this;
      }
      // a generic `for` clause (or statement if `forBody` is passed)
      for(iteration, forBody) {
        return this._for(new ForLoop(iteration), forBody);
      }
      // `for` statement for a range of values
      forRange(nameOrPrefix, from, to, forBody, varKind = this.opts.es5 ? scope_1.varKinds.var : scope_1.varKinds.let) {
        const name = this._scope.toName(nameOrPrefix);
        return this._for(new ForRange(varKind, name, from, to), () => forBody(name));
      }
      // `for-of` statement (in es5 mode replace with a normal for loop)
      forOf(nameOrPrefix, iterable, forBody, varKind = scope_1.varKinds.const) {
        const name = this._scope.toName(nameOrPrefix);
        if (this.opts.es5) {
          const arr = iterable instanceof code_1.Name ? iterable : this.var("_arr", iterable);
          return this.forRange("_i", 0, (0, code_1._)`${arr}.length`, (i) => {
            this.var(name, (0, code_1._)`${arr}[${i}]`);
            forBody(name);
          });
        }
        return this._for(new ForIter("of", varKind, name, iterable), () => forBody(name));
      }
      // `for-in` statement.
      // With option `ownProperties` replaced with a `for-of` loop for object keys
      forIn(nameOrPrefix, obj, forBody, varKind = this.opts.es5 ? scope_1.varKinds.var : scope_1.varKinds.const) {
        if (this.opts.ownProperties) {
          return this.forOf(nameOrPrefix, (0, code_1._)`Object.keys(${obj})`, forBody);
        }
        const name = this._scope.toName(nameOrPrefix);
        return this._for(new ForIter("in", varKind, name, obj), () => forBody(name));
      }
      // end `for` loop
      endFor() {
        return this._endBlockNode(For);
      }
      // `label` statement
      label(label) {
        return this._leafNode(new Label(label));
      }
      // `break` statement
      break(label) {
        return this._leafNode(new Break(label));
      }
      // `return` statement
      return(value) {
        const node2 = new Return();
        this._blockNode(node2);
        this.code(value);
        if (node2.nodes.length !== 1)
          throw new Error('CodeGen: "return" should have one node');
        return this._endBlockNode(Return);
      }
      // `try` statement
      try(tryBody, catchCode, finallyCode) {
        if (!catchCode && !finallyCode)
          throw new Error('CodeGen: "try" without "catch" and "finally"');
        const node2 = new Try();
        this._blockNode(node2);
        this.code(tryBody);
        if (catchCode) {
          const error = this.name("e");
          this._currNode = node2.catch = new Catch(error);
          catchCode(error);
        }
        if (finallyCode) {
          this._currNode = node2.finally = new Finally();
          this.code(finallyCode);
        }
        return this._endBlockNode(Catch, Finally);
      }
      // `throw` statement
      throw(error) {
        return this._leafNode(new Throw(error));
      }
      // start self-balancing block
      block(body, nodeCount) {
        this._blockStarts.push(this._nodes.length);
        if (body)
          this.code(body).endBlock(nodeCount);
        return this;
      }
      // end the current self-balancing block
      endBlock(nodeCount) {
        const len = this._blockStarts.pop();
        if (len === void 0)
          throw new Error("CodeGen: not in self-balancing block");
        const toClose = this._nodes.length - len;
        if (toClose < 0 || nodeCount !== void 0 && toClose !== nodeCount) {
          throw new Error(`CodeGen: wrong number of nodes: ${toClose} vs ${nodeCount} expected`);
        }
        this._nodes.length = len;
        return this;
      }
      // `function` heading (or definition if funcBody is passed)
      func(name, args = code_1.nil, async, funcBody) {
        this._blockNode(new Func(name, args, async));
        if (funcBody)
          this.code(funcBody).endFunc();
        return this;
      }
      // end function definition
      endFunc() {
        return this._endBlockNode(Func);
      }
      optimize(n = 1) {
        while (n-- > 0) {
          this._root.optimizeNodes();
          this._root.optimizeNames(this._root.names, this._constants);
        }
      }
      _leafNode(node2) {
        this._currNode.nodes.push(node2);
        return this;
      }
      _blockNode(node2) {
        this._currNode.nodes.push(node2);
        this._nodes.push(node2);
      }
      _endBlockNode(N1, N2) {
        const n = this._currNode;
        if (n instanceof N1 || N2 && n instanceof N2) {
          this._nodes.pop();
          return this;
        }
        throw new Error(`CodeGen: not in block "${N2 ? `${N1.kind}/${N2.kind}` : N1.kind}"`);
      }
      _elseNode(node2) {
        const n = this._currNode;
        if (!(n instanceof If)) {
          throw new Error('CodeGen: "else" without "if"');
        }
        this._currNode = n.else = node2;
        return this;
      }
      get _root() {
        return this._nodes[0];
      }
      get _currNode() {
        const ns = this._nodes;
        return ns[ns.length - 1];
      }
      set _currNode(node2) {
        const ns = this._nodes;
        ns[ns.length - 1] = node2;
      }
    };
    exports.CodeGen = CodeGen;
    function addNames(names, from) {
      for (const n in from)
        names[n] = (names[n] || 0) + (from[n] || 0);
      return names;
    }
    function addExprNames(names, from) {
      return from instanceof code_1._CodeOrName ? addNames(names, from.names) : names;
    }
    function optimizeExpr(expr, names, constants) {
      if (expr instanceof code_1.Name)
        return replaceName(expr);
      if (!canOptimize(expr))
        return expr;
      return new code_1._Code(expr._items.reduce((items, c) => {
        if (c instanceof code_1.Name)
          c = replaceName(c);
        if (c instanceof code_1._Code)
          items.push(...c._items);
        else
          items.push(c);
        return items;
      }, []));
      function replaceName(n) {
        const c = constants[n.str];
        if (c === void 0 || names[n.str] !== 1)
          return n;
        delete names[n.str];
        return c;
      }
      function canOptimize(e) {
        return e instanceof code_1._Code && e._items.some((c) => c instanceof code_1.Name && names[c.str] === 1 && constants[c.str] !== void 0);
      }
    }
    function subtractNames(names, from) {
      for (const n in from)
        names[n] = (names[n] || 0) - (from[n] || 0);
    }
    function not(x) {
      return typeof x == "boolean" || typeof x == "number" || x === null ? !x : (0, code_1._)`!${par(x)}`;
    }
    exports.not = not;
    var andCode = mappend(exports.operators.AND);
    function and(...args) {
      return args.reduce(andCode);
    }
    exports.and = and;
    var orCode = mappend(exports.operators.OR);
    function or(...args) {
      return args.reduce(orCode);
    }
    exports.or = or;
    function mappend(op) {
      return (x, y) => x === code_1.nil ? y : y === code_1.nil ? x : (0, code_1._)`${par(x)} ${op} ${par(y)}`;
    }
    function par(x) {
      return x instanceof code_1.Name ? x : (0, code_1._)`(${x})`;
    }
  }
});

// ../../work/main/node_modules/ajv/dist/compile/util.js
var require_util = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/util.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.checkStrictMode = exports.getErrorPath = exports.Type = exports.useFunc = exports.setEvaluated = exports.evaluatedPropsToName = exports.mergeEvaluated = exports.eachItem = exports.unescapeJsonPointer = exports.escapeJsonPointer = exports.escapeFragment = exports.unescapeFragment = exports.schemaRefOrVal = exports.schemaHasRulesButRef = exports.schemaHasRules = exports.checkUnknownRules = exports.alwaysValidSchema = exports.toHash = void 0;
    var codegen_1 = require_codegen();
    var code_1 = require_code();
    function toHash(arr) {
      const hash = {};
      for (const item of arr)
        hash[item] = true;
      return hash;
    }
    exports.toHash = toHash;
    function alwaysValidSchema(it, schema2) {
      if (typeof schema2 == "boolean")
        return schema2;
      if (Object.keys(schema2).length === 0)
        return true;
      checkUnknownRules(it, schema2);
      return !schemaHasRules(schema2, it.self.RULES.all);
    }
    exports.alwaysValidSchema = alwaysValidSchema;
    function checkUnknownRules(it, schema2 = it.schema) {
      const { opts, self } = it;
      if (!opts.strictSchema)
        return;
      if (typeof schema2 === "boolean")
        return;
      const rules = self.RULES.keywords;
      for (const key in schema2) {
        if (!rules[key])
          checkStrictMode(it, `unknown keyword: "${key}"`);
      }
    }
    exports.checkUnknownRules = checkUnknownRules;
    function schemaHasRules(schema2, rules) {
      if (typeof schema2 == "boolean")
        return !schema2;
      for (const key in schema2)
        if (rules[key])
          return true;
      return false;
    }
    exports.schemaHasRules = schemaHasRules;
    function schemaHasRulesButRef(schema2, RULES2) {
      if (typeof schema2 == "boolean")
        return !schema2;
      for (const key in schema2)
        if (key !== "$ref" && RULES2.all[key])
          return true;
      return false;
    }
    exports.schemaHasRulesButRef = schemaHasRulesButRef;
    function schemaRefOrVal({ topSchemaRef, schemaPath }, schema2, keyword, $data) {
      if (!$data) {
        if (typeof schema2 == "number" || typeof schema2 == "boolean")
          return schema2;
        if (typeof schema2 == "string")
          return (0, codegen_1._)`${schema2}`;
      }
      return (0, codegen_1._)`${topSchemaRef}${schemaPath}${(0, codegen_1.getProperty)(keyword)}`;
    }
    exports.schemaRefOrVal = schemaRefOrVal;
    function unescapeFragment(str2) {
      return unescapeJsonPointer(decodeURIComponent(str2));
    }
    exports.unescapeFragment = unescapeFragment;
    function escapeFragment(str2) {
      return encodeURIComponent(escapeJsonPointer(str2));
    }
    exports.escapeFragment = escapeFragment;
    function escapeJsonPointer(str2) {
      if (typeof str2 == "number")
        return `${str2}`;
      return str2.replace(/~/g, "~0").replace(/\//g, "~1");
    }
    exports.escapeJsonPointer = escapeJsonPointer;
    function unescapeJsonPointer(str2) {
      return str2.replace(/~1/g, "/").replace(/~0/g, "~");
    }
    exports.unescapeJsonPointer = unescapeJsonPointer;
    function eachItem(xs, f) {
      if (Array.isArray(xs)) {
        for (const x of xs)
          f(x);
      } else {
        f(xs);
      }
    }
    exports.eachItem = eachItem;
    function makeMergeEvaluated({ mergeNames, mergeToName, mergeValues, resultToName }) {
      return (gen, from, to, toName) => {
        const res = to === void 0 ? from : to instanceof codegen_1.Name ? (from instanceof codegen_1.Name ? mergeNames(gen, from, to) : mergeToName(gen, from, to), to) : from instanceof codegen_1.Name ? (mergeToName(gen, to, from), from) : mergeValues(from, to);
        return toName === codegen_1.Name && !(res instanceof codegen_1.Name) ? resultToName(gen, res) : res;
      };
    }
    exports.mergeEvaluated = {
      props: makeMergeEvaluated({
        mergeNames: (gen, from, to) => gen.if((0, codegen_1._)`${to} !== true && ${from} !== undefined`, () => {
          gen.if((0, codegen_1._)`${from} === true`, () => gen.assign(to, true), () => gen.assign(to, (0, codegen_1._)`${to} || {}`).code((0, codegen_1._)`Object.assign(${to}, ${from})`));
        }),
        mergeToName: (gen, from, to) => gen.if((0, codegen_1._)`${to} !== true`, () => {
          if (from === true) {
            gen.assign(to, true);
          } else {
            gen.assign(to, (0, codegen_1._)`${to} || {}`);
            setEvaluated(gen, to, from);
          }
        }),
        mergeValues: (from, to) => from === true ? true : { ...from, ...to },
        resultToName: evaluatedPropsToName
      }),
      items: makeMergeEvaluated({
        mergeNames: (gen, from, to) => gen.if((0, codegen_1._)`${to} !== true && ${from} !== undefined`, () => gen.assign(to, (0, codegen_1._)`${from} === true ? true : ${to} > ${from} ? ${to} : ${from}`)),
        mergeToName: (gen, from, to) => gen.if((0, codegen_1._)`${to} !== true`, () => gen.assign(to, from === true ? true : (0, codegen_1._)`${to} > ${from} ? ${to} : ${from}`)),
        mergeValues: (from, to) => from === true ? true : Math.max(from, to),
        resultToName: (gen, items) => gen.var("items", items)
      })
    };
    function evaluatedPropsToName(gen, ps) {
      if (ps === true)
        return gen.var("props", true);
      const props = gen.var("props", (0, codegen_1._)`{}`);
      if (ps !== void 0)
        setEvaluated(gen, props, ps);
      return props;
    }
    exports.evaluatedPropsToName = evaluatedPropsToName;
    function setEvaluated(gen, props, ps) {
      Object.keys(ps).forEach((p) => gen.assign((0, codegen_1._)`${props}${(0, codegen_1.getProperty)(p)}`, true));
    }
    exports.setEvaluated = setEvaluated;
    var snippets = {};
    function useFunc(gen, f) {
      return gen.scopeValue("func", {
        ref: f,
        code: snippets[f.code] || (snippets[f.code] = new code_1._Code(f.code))
      });
    }
    exports.useFunc = useFunc;
    var Type2;
    (function(Type3) {
      Type3[Type3["Num"] = 0] = "Num";
      Type3[Type3["Str"] = 1] = "Str";
    })(Type2 || (exports.Type = Type2 = {}));
    function getErrorPath(dataProp, dataPropType, jsPropertySyntax) {
      if (dataProp instanceof codegen_1.Name) {
        const isNumber = dataPropType === Type2.Num;
        return jsPropertySyntax ? isNumber ? (0, codegen_1._)`"[" + ${dataProp} + "]"` : (0, codegen_1._)`"['" + ${dataProp} + "']"` : isNumber ? (0, codegen_1._)`"/" + ${dataProp}` : (0, codegen_1._)`"/" + ${dataProp}.replace(/~/g, "~0").replace(/\\//g, "~1")`;
      }
      return jsPropertySyntax ? (0, codegen_1.getProperty)(dataProp).toString() : "/" + escapeJsonPointer(dataProp);
    }
    exports.getErrorPath = getErrorPath;
    function checkStrictMode(it, msg, mode = it.opts.strictSchema) {
      if (!mode)
        return;
      msg = `strict mode: ${msg}`;
      if (mode === true)
        throw new Error(msg);
      it.self.logger.warn(msg);
    }
    exports.checkStrictMode = checkStrictMode;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/names.js
var require_names = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/names.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var names = {
      // validation function arguments
      data: new codegen_1.Name("data"),
      // data passed to validation function
      // args passed from referencing schema
      valCxt: new codegen_1.Name("valCxt"),
      // validation/data context - should not be used directly, it is destructured to the names below
      instancePath: new codegen_1.Name("instancePath"),
      parentData: new codegen_1.Name("parentData"),
      parentDataProperty: new codegen_1.Name("parentDataProperty"),
      rootData: new codegen_1.Name("rootData"),
      // root data - same as the data passed to the first/top validation function
      dynamicAnchors: new codegen_1.Name("dynamicAnchors"),
      // used to support recursiveRef and dynamicRef
      // function scoped variables
      vErrors: new codegen_1.Name("vErrors"),
      // null or array of validation errors
      errors: new codegen_1.Name("errors"),
      // counter of validation errors
      this: new codegen_1.Name("this"),
      // "globals"
      self: new codegen_1.Name("self"),
      scope: new codegen_1.Name("scope"),
      // JTD serialize/parse name for JSON string and position
      json: new codegen_1.Name("json"),
      jsonPos: new codegen_1.Name("jsonPos"),
      jsonLen: new codegen_1.Name("jsonLen"),
      jsonPart: new codegen_1.Name("jsonPart")
    };
    exports.default = names;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/errors.js
var require_errors = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/errors.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.extendErrors = exports.resetErrorsCount = exports.reportExtraError = exports.reportError = exports.keyword$DataError = exports.keywordError = void 0;
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var names_1 = require_names();
    exports.keywordError = {
      message: ({ keyword }) => (0, codegen_1.str)`must pass "${keyword}" keyword validation`
    };
    exports.keyword$DataError = {
      message: ({ keyword, schemaType }) => schemaType ? (0, codegen_1.str)`"${keyword}" keyword must be ${schemaType} ($data)` : (0, codegen_1.str)`"${keyword}" keyword is invalid ($data)`
    };
    function reportError(cxt, error = exports.keywordError, errorPaths, overrideAllErrors) {
      const { it } = cxt;
      const { gen, compositeRule, allErrors } = it;
      const errObj = errorObjectCode(cxt, error, errorPaths);
      if (overrideAllErrors !== null && overrideAllErrors !== void 0 ? overrideAllErrors : compositeRule || allErrors) {
        addError(gen, errObj);
      } else {
        returnErrors(it, (0, codegen_1._)`[${errObj}]`);
      }
    }
    exports.reportError = reportError;
    function reportExtraError(cxt, error = exports.keywordError, errorPaths) {
      const { it } = cxt;
      const { gen, compositeRule, allErrors } = it;
      const errObj = errorObjectCode(cxt, error, errorPaths);
      addError(gen, errObj);
      if (!(compositeRule || allErrors)) {
        returnErrors(it, names_1.default.vErrors);
      }
    }
    exports.reportExtraError = reportExtraError;
    function resetErrorsCount(gen, errsCount) {
      gen.assign(names_1.default.errors, errsCount);
      gen.if((0, codegen_1._)`${names_1.default.vErrors} !== null`, () => gen.if(errsCount, () => gen.assign((0, codegen_1._)`${names_1.default.vErrors}.length`, errsCount), () => gen.assign(names_1.default.vErrors, null)));
    }
    exports.resetErrorsCount = resetErrorsCount;
    function extendErrors({ gen, keyword, schemaValue, data, errsCount, it }) {
      if (errsCount === void 0)
        throw new Error("ajv implementation error");
      const err = gen.name("err");
      gen.forRange("i", errsCount, names_1.default.errors, (i) => {
        gen.const(err, (0, codegen_1._)`${names_1.default.vErrors}[${i}]`);
        gen.if((0, codegen_1._)`${err}.instancePath === undefined`, () => gen.assign((0, codegen_1._)`${err}.instancePath`, (0, codegen_1.strConcat)(names_1.default.instancePath, it.errorPath)));
        gen.assign((0, codegen_1._)`${err}.schemaPath`, (0, codegen_1.str)`${it.errSchemaPath}/${keyword}`);
        if (it.opts.verbose) {
          gen.assign((0, codegen_1._)`${err}.schema`, schemaValue);
          gen.assign((0, codegen_1._)`${err}.data`, data);
        }
      });
    }
    exports.extendErrors = extendErrors;
    function addError(gen, errObj) {
      const err = gen.const("err", errObj);
      gen.if((0, codegen_1._)`${names_1.default.vErrors} === null`, () => gen.assign(names_1.default.vErrors, (0, codegen_1._)`[${err}]`), (0, codegen_1._)`${names_1.default.vErrors}.push(${err})`);
      gen.code((0, codegen_1._)`${names_1.default.errors}++`);
    }
    function returnErrors(it, errs) {
      const { gen, validateName, schemaEnv } = it;
      if (schemaEnv.$async) {
        gen.throw((0, codegen_1._)`new ${it.ValidationError}(${errs})`);
      } else {
        gen.assign((0, codegen_1._)`${validateName}.errors`, errs);
        gen.return(false);
      }
    }
    var E = {
      keyword: new codegen_1.Name("keyword"),
      schemaPath: new codegen_1.Name("schemaPath"),
      // also used in JTD errors
      params: new codegen_1.Name("params"),
      propertyName: new codegen_1.Name("propertyName"),
      message: new codegen_1.Name("message"),
      schema: new codegen_1.Name("schema"),
      parentSchema: new codegen_1.Name("parentSchema")
    };
    function errorObjectCode(cxt, error, errorPaths) {
      const { createErrors } = cxt.it;
      if (createErrors === false)
        return (0, codegen_1._)`{}`;
      return errorObject(cxt, error, errorPaths);
    }
    function errorObject(cxt, error, errorPaths = {}) {
      const { gen, it } = cxt;
      const keyValues = [
        errorInstancePath(it, errorPaths),
        errorSchemaPath(cxt, errorPaths)
      ];
      extraErrorProps(cxt, error, keyValues);
      return gen.object(...keyValues);
    }
    function errorInstancePath({ errorPath }, { instancePath }) {
      const instPath = instancePath ? (0, codegen_1.str)`${errorPath}${(0, util_1.getErrorPath)(instancePath, util_1.Type.Str)}` : errorPath;
      return [names_1.default.instancePath, (0, codegen_1.strConcat)(names_1.default.instancePath, instPath)];
    }
    function errorSchemaPath({ keyword, it: { errSchemaPath } }, { schemaPath, parentSchema }) {
      let schPath = parentSchema ? errSchemaPath : (0, codegen_1.str)`${errSchemaPath}/${keyword}`;
      if (schemaPath) {
        schPath = (0, codegen_1.str)`${schPath}${(0, util_1.getErrorPath)(schemaPath, util_1.Type.Str)}`;
      }
      return [E.schemaPath, schPath];
    }
    function extraErrorProps(cxt, { params, message }, keyValues) {
      const { keyword, data, schemaValue, it } = cxt;
      const { opts, propertyName, topSchemaRef, schemaPath } = it;
      keyValues.push([E.keyword, keyword], [E.params, typeof params == "function" ? params(cxt) : params || (0, codegen_1._)`{}`]);
      if (opts.messages) {
        keyValues.push([E.message, typeof message == "function" ? message(cxt) : message]);
      }
      if (opts.verbose) {
        keyValues.push([E.schema, schemaValue], [E.parentSchema, (0, codegen_1._)`${topSchemaRef}${schemaPath}`], [names_1.default.data, data]);
      }
      if (propertyName)
        keyValues.push([E.propertyName, propertyName]);
    }
  }
});

// ../../work/main/node_modules/ajv/dist/compile/validate/boolSchema.js
var require_boolSchema = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/validate/boolSchema.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.boolOrEmptySchema = exports.topBoolOrEmptySchema = void 0;
    var errors_1 = require_errors();
    var codegen_1 = require_codegen();
    var names_1 = require_names();
    var boolError = {
      message: "boolean schema is false"
    };
    function topBoolOrEmptySchema(it) {
      const { gen, schema: schema2, validateName } = it;
      if (schema2 === false) {
        falseSchemaError(it, false);
      } else if (typeof schema2 == "object" && schema2.$async === true) {
        gen.return(names_1.default.data);
      } else {
        gen.assign((0, codegen_1._)`${validateName}.errors`, null);
        gen.return(true);
      }
    }
    exports.topBoolOrEmptySchema = topBoolOrEmptySchema;
    function boolOrEmptySchema(it, valid) {
      const { gen, schema: schema2 } = it;
      if (schema2 === false) {
        gen.var(valid, false);
        falseSchemaError(it);
      } else {
        gen.var(valid, true);
      }
    }
    exports.boolOrEmptySchema = boolOrEmptySchema;
    function falseSchemaError(it, overrideAllErrors) {
      const { gen, data } = it;
      const cxt = {
        gen,
        keyword: "false schema",
        data,
        schema: false,
        schemaCode: false,
        schemaValue: false,
        params: {},
        it
      };
      (0, errors_1.reportError)(cxt, boolError, void 0, overrideAllErrors);
    }
  }
});

// ../../work/main/node_modules/ajv/dist/compile/rules.js
var require_rules = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/rules.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.getRules = exports.isJSONType = void 0;
    var _jsonTypes = ["string", "number", "integer", "boolean", "null", "object", "array"];
    var jsonTypes = new Set(_jsonTypes);
    function isJSONType(x) {
      return typeof x == "string" && jsonTypes.has(x);
    }
    exports.isJSONType = isJSONType;
    function getRules() {
      const groups = {
        number: { type: "number", rules: [] },
        string: { type: "string", rules: [] },
        array: { type: "array", rules: [] },
        object: { type: "object", rules: [] }
      };
      return {
        types: { ...groups, integer: true, boolean: true, null: true },
        rules: [{ rules: [] }, groups.number, groups.string, groups.array, groups.object],
        post: { rules: [] },
        all: {},
        keywords: {}
      };
    }
    exports.getRules = getRules;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/validate/applicability.js
var require_applicability = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/validate/applicability.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.shouldUseRule = exports.shouldUseGroup = exports.schemaHasRulesForType = void 0;
    function schemaHasRulesForType({ schema: schema2, self }, type2) {
      const group = self.RULES.types[type2];
      return group && group !== true && shouldUseGroup(schema2, group);
    }
    exports.schemaHasRulesForType = schemaHasRulesForType;
    function shouldUseGroup(schema2, group) {
      return group.rules.some((rule) => shouldUseRule(schema2, rule));
    }
    exports.shouldUseGroup = shouldUseGroup;
    function shouldUseRule(schema2, rule) {
      var _a;
      return schema2[rule.keyword] !== void 0 || ((_a = rule.definition.implements) === null || _a === void 0 ? void 0 : _a.some((kwd) => schema2[kwd] !== void 0));
    }
    exports.shouldUseRule = shouldUseRule;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/validate/dataType.js
var require_dataType = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/validate/dataType.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.reportTypeError = exports.checkDataTypes = exports.checkDataType = exports.coerceAndCheckDataType = exports.getJSONTypes = exports.getSchemaTypes = exports.DataType = void 0;
    var rules_1 = require_rules();
    var applicability_1 = require_applicability();
    var errors_1 = require_errors();
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var DataType;
    (function(DataType2) {
      DataType2[DataType2["Correct"] = 0] = "Correct";
      DataType2[DataType2["Wrong"] = 1] = "Wrong";
    })(DataType || (exports.DataType = DataType = {}));
    function getSchemaTypes(schema2) {
      const types2 = getJSONTypes(schema2.type);
      const hasNull = types2.includes("null");
      if (hasNull) {
        if (schema2.nullable === false)
          throw new Error("type: null contradicts nullable: false");
      } else {
        if (!types2.length && schema2.nullable !== void 0) {
          throw new Error('"nullable" cannot be used without "type"');
        }
        if (schema2.nullable === true)
          types2.push("null");
      }
      return types2;
    }
    exports.getSchemaTypes = getSchemaTypes;
    function getJSONTypes(ts) {
      const types2 = Array.isArray(ts) ? ts : ts ? [ts] : [];
      if (types2.every(rules_1.isJSONType))
        return types2;
      throw new Error("type must be JSONType or JSONType[]: " + types2.join(","));
    }
    exports.getJSONTypes = getJSONTypes;
    function coerceAndCheckDataType(it, types2) {
      const { gen, data, opts } = it;
      const coerceTo = coerceToTypes(types2, opts.coerceTypes);
      const checkTypes = types2.length > 0 && !(coerceTo.length === 0 && types2.length === 1 && (0, applicability_1.schemaHasRulesForType)(it, types2[0]));
      if (checkTypes) {
        const wrongType = checkDataTypes(types2, data, opts.strictNumbers, DataType.Wrong);
        gen.if(wrongType, () => {
          if (coerceTo.length)
            coerceData(it, types2, coerceTo);
          else
            reportTypeError(it);
        });
      }
      return checkTypes;
    }
    exports.coerceAndCheckDataType = coerceAndCheckDataType;
    var COERCIBLE = /* @__PURE__ */ new Set(["string", "number", "integer", "boolean", "null"]);
    function coerceToTypes(types2, coerceTypes) {
      return coerceTypes ? types2.filter((t) => COERCIBLE.has(t) || coerceTypes === "array" && t === "array") : [];
    }
    function coerceData(it, types2, coerceTo) {
      const { gen, data, opts } = it;
      const dataType = gen.let("dataType", (0, codegen_1._)`typeof ${data}`);
      const coerced = gen.let("coerced", (0, codegen_1._)`undefined`);
      if (opts.coerceTypes === "array") {
        gen.if((0, codegen_1._)`${dataType} == 'object' && Array.isArray(${data}) && ${data}.length == 1`, () => gen.assign(data, (0, codegen_1._)`${data}[0]`).assign(dataType, (0, codegen_1._)`typeof ${data}`).if(checkDataTypes(types2, data, opts.strictNumbers), () => gen.assign(coerced, data)));
      }
      gen.if((0, codegen_1._)`${coerced} !== undefined`);
      for (const t of coerceTo) {
        if (COERCIBLE.has(t) || t === "array" && opts.coerceTypes === "array") {
          coerceSpecificType(t);
        }
      }
      gen.else();
      reportTypeError(it);
      gen.endIf();
      gen.if((0, codegen_1._)`${coerced} !== undefined`, () => {
        gen.assign(data, coerced);
        assignParentData(it, coerced);
      });
      function coerceSpecificType(t) {
        switch (t) {
          case "string":
            gen.elseIf((0, codegen_1._)`${dataType} == "number" || ${dataType} == "boolean"`).assign(coerced, (0, codegen_1._)`"" + ${data}`).elseIf((0, codegen_1._)`${data} === null`).assign(coerced, (0, codegen_1._)`""`);
            return;
          case "number":
            gen.elseIf((0, codegen_1._)`${dataType} == "boolean" || ${data} === null
              || (${dataType} == "string" && ${data} && ${data} == +${data})`).assign(coerced, (0, codegen_1._)`+${data}`);
            return;
          case "integer":
            gen.elseIf((0, codegen_1._)`${dataType} === "boolean" || ${data} === null
              || (${dataType} === "string" && ${data} && ${data} == +${data} && !(${data} % 1))`).assign(coerced, (0, codegen_1._)`+${data}`);
            return;
          case "boolean":
            gen.elseIf((0, codegen_1._)`${data} === "false" || ${data} === 0 || ${data} === null`).assign(coerced, false).elseIf((0, codegen_1._)`${data} === "true" || ${data} === 1`).assign(coerced, true);
            return;
          case "null":
            gen.elseIf((0, codegen_1._)`${data} === "" || ${data} === 0 || ${data} === false`);
            gen.assign(coerced, null);
            return;
          case "array":
            gen.elseIf((0, codegen_1._)`${dataType} === "string" || ${dataType} === "number"
              || ${dataType} === "boolean" || ${data} === null`).assign(coerced, (0, codegen_1._)`[${data}]`);
        }
      }
    }
    function assignParentData({ gen, parentData, parentDataProperty }, expr) {
      gen.if((0, codegen_1._)`${parentData} !== undefined`, () => gen.assign((0, codegen_1._)`${parentData}[${parentDataProperty}]`, expr));
    }
    function checkDataType(dataType, data, strictNums, correct = DataType.Correct) {
      const EQ = correct === DataType.Correct ? codegen_1.operators.EQ : codegen_1.operators.NEQ;
      let cond;
      switch (dataType) {
        case "null":
          return (0, codegen_1._)`${data} ${EQ} null`;
        case "array":
          cond = (0, codegen_1._)`Array.isArray(${data})`;
          break;
        case "object":
          cond = (0, codegen_1._)`${data} && typeof ${data} == "object" && !Array.isArray(${data})`;
          break;
        case "integer":
          cond = numCond((0, codegen_1._)`!(${data} % 1) && !isNaN(${data})`);
          break;
        case "number":
          cond = numCond();
          break;
        default:
          return (0, codegen_1._)`typeof ${data} ${EQ} ${dataType}`;
      }
      return correct === DataType.Correct ? cond : (0, codegen_1.not)(cond);
      function numCond(_cond = codegen_1.nil) {
        return (0, codegen_1.and)((0, codegen_1._)`typeof ${data} == "number"`, _cond, strictNums ? (0, codegen_1._)`isFinite(${data})` : codegen_1.nil);
      }
    }
    exports.checkDataType = checkDataType;
    function checkDataTypes(dataTypes, data, strictNums, correct) {
      if (dataTypes.length === 1) {
        return checkDataType(dataTypes[0], data, strictNums, correct);
      }
      let cond;
      const types2 = (0, util_1.toHash)(dataTypes);
      if (types2.array && types2.object) {
        const notObj = (0, codegen_1._)`typeof ${data} != "object"`;
        cond = types2.null ? notObj : (0, codegen_1._)`!${data} || ${notObj}`;
        delete types2.null;
        delete types2.array;
        delete types2.object;
      } else {
        cond = codegen_1.nil;
      }
      if (types2.number)
        delete types2.integer;
      for (const t in types2)
        cond = (0, codegen_1.and)(cond, checkDataType(t, data, strictNums, correct));
      return cond;
    }
    exports.checkDataTypes = checkDataTypes;
    var typeError = {
      message: ({ schema: schema2 }) => `must be ${schema2}`,
      params: ({ schema: schema2, schemaValue }) => typeof schema2 == "string" ? (0, codegen_1._)`{type: ${schema2}}` : (0, codegen_1._)`{type: ${schemaValue}}`
    };
    function reportTypeError(it) {
      const cxt = getTypeErrorContext(it);
      (0, errors_1.reportError)(cxt, typeError);
    }
    exports.reportTypeError = reportTypeError;
    function getTypeErrorContext(it) {
      const { gen, data, schema: schema2 } = it;
      const schemaCode = (0, util_1.schemaRefOrVal)(it, schema2, "type");
      return {
        gen,
        keyword: "type",
        data,
        schema: schema2.type,
        schemaCode,
        schemaValue: schemaCode,
        parentSchema: schema2,
        params: {},
        it
      };
    }
  }
});

// ../../work/main/node_modules/ajv/dist/compile/validate/defaults.js
var require_defaults = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/validate/defaults.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.assignDefaults = void 0;
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    function assignDefaults(it, ty) {
      const { properties, items } = it.schema;
      if (ty === "object" && properties) {
        for (const key in properties) {
          assignDefault(it, key, properties[key].default);
        }
      } else if (ty === "array" && Array.isArray(items)) {
        items.forEach((sch, i) => assignDefault(it, i, sch.default));
      }
    }
    exports.assignDefaults = assignDefaults;
    function assignDefault(it, prop, defaultValue) {
      const { gen, compositeRule, data, opts } = it;
      if (defaultValue === void 0)
        return;
      const childData = (0, codegen_1._)`${data}${(0, codegen_1.getProperty)(prop)}`;
      if (compositeRule) {
        (0, util_1.checkStrictMode)(it, `default is ignored for: ${childData}`);
        return;
      }
      let condition = (0, codegen_1._)`${childData} === undefined`;
      if (opts.useDefaults === "empty") {
        condition = (0, codegen_1._)`${condition} || ${childData} === null || ${childData} === ""`;
      }
      gen.if(condition, (0, codegen_1._)`${childData} = ${(0, codegen_1.stringify)(defaultValue)}`);
    }
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/code.js
var require_code2 = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/code.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.validateUnion = exports.validateArray = exports.usePattern = exports.callValidateCode = exports.schemaProperties = exports.allSchemaProperties = exports.noPropertyInData = exports.propertyInData = exports.isOwnProperty = exports.hasPropFunc = exports.reportMissingProp = exports.checkMissingProp = exports.checkReportMissingProp = void 0;
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var names_1 = require_names();
    var util_2 = require_util();
    function checkReportMissingProp(cxt, prop) {
      const { gen, data, it } = cxt;
      gen.if(noPropertyInData(gen, data, prop, it.opts.ownProperties), () => {
        cxt.setParams({ missingProperty: (0, codegen_1._)`${prop}` }, true);
        cxt.error();
      });
    }
    exports.checkReportMissingProp = checkReportMissingProp;
    function checkMissingProp({ gen, data, it: { opts } }, properties, missing) {
      return (0, codegen_1.or)(...properties.map((prop) => (0, codegen_1.and)(noPropertyInData(gen, data, prop, opts.ownProperties), (0, codegen_1._)`${missing} = ${prop}`)));
    }
    exports.checkMissingProp = checkMissingProp;
    function reportMissingProp(cxt, missing) {
      cxt.setParams({ missingProperty: missing }, true);
      cxt.error();
    }
    exports.reportMissingProp = reportMissingProp;
    function hasPropFunc(gen) {
      return gen.scopeValue("func", {
        // eslint-disable-next-line @typescript-eslint/unbound-method
        ref: Object.prototype.hasOwnProperty,
        code: (0, codegen_1._)`Object.prototype.hasOwnProperty`
      });
    }
    exports.hasPropFunc = hasPropFunc;
    function isOwnProperty(gen, data, property) {
      return (0, codegen_1._)`${hasPropFunc(gen)}.call(${data}, ${property})`;
    }
    exports.isOwnProperty = isOwnProperty;
    function propertyInData(gen, data, property, ownProperties) {
      const cond = (0, codegen_1._)`${data}${(0, codegen_1.getProperty)(property)} !== undefined`;
      return ownProperties ? (0, codegen_1._)`${cond} && ${isOwnProperty(gen, data, property)}` : cond;
    }
    exports.propertyInData = propertyInData;
    function noPropertyInData(gen, data, property, ownProperties) {
      const cond = (0, codegen_1._)`${data}${(0, codegen_1.getProperty)(property)} === undefined`;
      return ownProperties ? (0, codegen_1.or)(cond, (0, codegen_1.not)(isOwnProperty(gen, data, property))) : cond;
    }
    exports.noPropertyInData = noPropertyInData;
    function allSchemaProperties(schemaMap) {
      return schemaMap ? Object.keys(schemaMap).filter((p) => p !== "__proto__") : [];
    }
    exports.allSchemaProperties = allSchemaProperties;
    function schemaProperties(it, schemaMap) {
      return allSchemaProperties(schemaMap).filter((p) => !(0, util_1.alwaysValidSchema)(it, schemaMap[p]));
    }
    exports.schemaProperties = schemaProperties;
    function callValidateCode({ schemaCode, data, it: { gen, topSchemaRef, schemaPath, errorPath }, it }, func, context, passSchema) {
      const dataAndSchema = passSchema ? (0, codegen_1._)`${schemaCode}, ${data}, ${topSchemaRef}${schemaPath}` : data;
      const valCxt = [
        [names_1.default.instancePath, (0, codegen_1.strConcat)(names_1.default.instancePath, errorPath)],
        [names_1.default.parentData, it.parentData],
        [names_1.default.parentDataProperty, it.parentDataProperty],
        [names_1.default.rootData, names_1.default.rootData]
      ];
      if (it.opts.dynamicRef)
        valCxt.push([names_1.default.dynamicAnchors, names_1.default.dynamicAnchors]);
      const args = (0, codegen_1._)`${dataAndSchema}, ${gen.object(...valCxt)}`;
      return context !== codegen_1.nil ? (0, codegen_1._)`${func}.call(${context}, ${args})` : (0, codegen_1._)`${func}(${args})`;
    }
    exports.callValidateCode = callValidateCode;
    var newRegExp = (0, codegen_1._)`new RegExp`;
    function usePattern({ gen, it: { opts } }, pattern) {
      const u = opts.unicodeRegExp ? "u" : "";
      const { regExp } = opts.code;
      const rx = regExp(pattern, u);
      return gen.scopeValue("pattern", {
        key: rx.toString(),
        ref: rx,
        code: (0, codegen_1._)`${regExp.code === "new RegExp" ? newRegExp : (0, util_2.useFunc)(gen, regExp)}(${pattern}, ${u})`
      });
    }
    exports.usePattern = usePattern;
    function validateArray(cxt) {
      const { gen, data, keyword, it } = cxt;
      const valid = gen.name("valid");
      if (it.allErrors) {
        const validArr = gen.let("valid", true);
        validateItems(() => gen.assign(validArr, false));
        return validArr;
      }
      gen.var(valid, true);
      validateItems(() => gen.break());
      return valid;
      function validateItems(notValid) {
        const len = gen.const("len", (0, codegen_1._)`${data}.length`);
        gen.forRange("i", 0, len, (i) => {
          cxt.subschema({
            keyword,
            dataProp: i,
            dataPropType: util_1.Type.Num
          }, valid);
          gen.if((0, codegen_1.not)(valid), notValid);
        });
      }
    }
    exports.validateArray = validateArray;
    function validateUnion(cxt) {
      const { gen, schema: schema2, keyword, it } = cxt;
      if (!Array.isArray(schema2))
        throw new Error("ajv implementation error");
      const alwaysValid = schema2.some((sch) => (0, util_1.alwaysValidSchema)(it, sch));
      if (alwaysValid && !it.opts.unevaluated)
        return;
      const valid = gen.let("valid", false);
      const schValid = gen.name("_valid");
      gen.block(() => schema2.forEach((_sch, i) => {
        const schCxt = cxt.subschema({
          keyword,
          schemaProp: i,
          compositeRule: true
        }, schValid);
        gen.assign(valid, (0, codegen_1._)`${valid} || ${schValid}`);
        const merged = cxt.mergeValidEvaluated(schCxt, schValid);
        if (!merged)
          gen.if((0, codegen_1.not)(valid));
      }));
      cxt.result(valid, () => cxt.reset(), () => cxt.error(true));
    }
    exports.validateUnion = validateUnion;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/validate/keyword.js
var require_keyword = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/validate/keyword.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.validateKeywordUsage = exports.validSchemaType = exports.funcKeywordCode = exports.macroKeywordCode = void 0;
    var codegen_1 = require_codegen();
    var names_1 = require_names();
    var code_1 = require_code2();
    var errors_1 = require_errors();
    function macroKeywordCode(cxt, def) {
      const { gen, keyword, schema: schema2, parentSchema, it } = cxt;
      const macroSchema = def.macro.call(it.self, schema2, parentSchema, it);
      const schemaRef = useKeyword(gen, keyword, macroSchema);
      if (it.opts.validateSchema !== false)
        it.self.validateSchema(macroSchema, true);
      const valid = gen.name("valid");
      cxt.subschema({
        schema: macroSchema,
        schemaPath: codegen_1.nil,
        errSchemaPath: `${it.errSchemaPath}/${keyword}`,
        topSchemaRef: schemaRef,
        compositeRule: true
      }, valid);
      cxt.pass(valid, () => cxt.error(true));
    }
    exports.macroKeywordCode = macroKeywordCode;
    function funcKeywordCode(cxt, def) {
      var _a;
      const { gen, keyword, schema: schema2, parentSchema, $data, it } = cxt;
      checkAsyncKeyword(it, def);
      const validate2 = !$data && def.compile ? def.compile.call(it.self, schema2, parentSchema, it) : def.validate;
      const validateRef = useKeyword(gen, keyword, validate2);
      const valid = gen.let("valid");
      cxt.block$data(valid, validateKeyword);
      cxt.ok((_a = def.valid) !== null && _a !== void 0 ? _a : valid);
      function validateKeyword() {
        if (def.errors === false) {
          assignValid();
          if (def.modifying)
            modifyData(cxt);
          reportErrs(() => cxt.error());
        } else {
          const ruleErrs = def.async ? validateAsync() : validateSync();
          if (def.modifying)
            modifyData(cxt);
          reportErrs(() => addErrs(cxt, ruleErrs));
        }
      }
      function validateAsync() {
        const ruleErrs = gen.let("ruleErrs", null);
        gen.try(() => assignValid((0, codegen_1._)`await `), (e) => gen.assign(valid, false).if((0, codegen_1._)`${e} instanceof ${it.ValidationError}`, () => gen.assign(ruleErrs, (0, codegen_1._)`${e}.errors`), () => gen.throw(e)));
        return ruleErrs;
      }
      function validateSync() {
        const validateErrs = (0, codegen_1._)`${validateRef}.errors`;
        gen.assign(validateErrs, null);
        assignValid(codegen_1.nil);
        return validateErrs;
      }
      function assignValid(_await = def.async ? (0, codegen_1._)`await ` : codegen_1.nil) {
        const passCxt = it.opts.passContext ? names_1.default.this : names_1.default.self;
        const passSchema = !("compile" in def && !$data || def.schema === false);
        gen.assign(valid, (0, codegen_1._)`${_await}${(0, code_1.callValidateCode)(cxt, validateRef, passCxt, passSchema)}`, def.modifying);
      }
      function reportErrs(errors) {
        var _a2;
        gen.if((0, codegen_1.not)((_a2 = def.valid) !== null && _a2 !== void 0 ? _a2 : valid), errors);
      }
    }
    exports.funcKeywordCode = funcKeywordCode;
    function modifyData(cxt) {
      const { gen, data, it } = cxt;
      gen.if(it.parentData, () => gen.assign(data, (0, codegen_1._)`${it.parentData}[${it.parentDataProperty}]`));
    }
    function addErrs(cxt, errs) {
      const { gen } = cxt;
      gen.if((0, codegen_1._)`Array.isArray(${errs})`, () => {
        gen.assign(names_1.default.vErrors, (0, codegen_1._)`${names_1.default.vErrors} === null ? ${errs} : ${names_1.default.vErrors}.concat(${errs})`).assign(names_1.default.errors, (0, codegen_1._)`${names_1.default.vErrors}.length`);
        (0, errors_1.extendErrors)(cxt);
      }, () => cxt.error());
    }
    function checkAsyncKeyword({ schemaEnv }, def) {
      if (def.async && !schemaEnv.$async)
        throw new Error("async keyword in sync schema");
    }
    function useKeyword(gen, keyword, result2) {
      if (result2 === void 0)
        throw new Error(`keyword "${keyword}" failed to compile`);
      return gen.scopeValue("keyword", typeof result2 == "function" ? { ref: result2 } : { ref: result2, code: (0, codegen_1.stringify)(result2) });
    }
    function validSchemaType(schema2, schemaType, allowUndefined = false) {
      return !schemaType.length || schemaType.some((st) => st === "array" ? Array.isArray(schema2) : st === "object" ? schema2 && typeof schema2 == "object" && !Array.isArray(schema2) : typeof schema2 == st || allowUndefined && typeof schema2 == "undefined");
    }
    exports.validSchemaType = validSchemaType;
    function validateKeywordUsage({ schema: schema2, opts, self, errSchemaPath }, def, keyword) {
      if (Array.isArray(def.keyword) ? !def.keyword.includes(keyword) : def.keyword !== keyword) {
        throw new Error("ajv implementation error");
      }
      const deps = def.dependencies;
      if (deps === null || deps === void 0 ? void 0 : deps.some((kwd) => !Object.prototype.hasOwnProperty.call(schema2, kwd))) {
        throw new Error(`parent schema must have dependencies of ${keyword}: ${deps.join(",")}`);
      }
      if (def.validateSchema) {
        const valid = def.validateSchema(schema2[keyword]);
        if (!valid) {
          const msg = `keyword "${keyword}" value is invalid at path "${errSchemaPath}": ` + self.errorsText(def.validateSchema.errors);
          if (opts.validateSchema === "log")
            self.logger.error(msg);
          else
            throw new Error(msg);
        }
      }
    }
    exports.validateKeywordUsage = validateKeywordUsage;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/validate/subschema.js
var require_subschema = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/validate/subschema.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.extendSubschemaMode = exports.extendSubschemaData = exports.getSubschema = void 0;
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    function getSubschema(it, { keyword, schemaProp, schema: schema2, schemaPath, errSchemaPath, topSchemaRef }) {
      if (keyword !== void 0 && schema2 !== void 0) {
        throw new Error('both "keyword" and "schema" passed, only one allowed');
      }
      if (keyword !== void 0) {
        const sch = it.schema[keyword];
        return schemaProp === void 0 ? {
          schema: sch,
          schemaPath: (0, codegen_1._)`${it.schemaPath}${(0, codegen_1.getProperty)(keyword)}`,
          errSchemaPath: `${it.errSchemaPath}/${keyword}`
        } : {
          schema: sch[schemaProp],
          schemaPath: (0, codegen_1._)`${it.schemaPath}${(0, codegen_1.getProperty)(keyword)}${(0, codegen_1.getProperty)(schemaProp)}`,
          errSchemaPath: `${it.errSchemaPath}/${keyword}/${(0, util_1.escapeFragment)(schemaProp)}`
        };
      }
      if (schema2 !== void 0) {
        if (schemaPath === void 0 || errSchemaPath === void 0 || topSchemaRef === void 0) {
          throw new Error('"schemaPath", "errSchemaPath" and "topSchemaRef" are required with "schema"');
        }
        return {
          schema: schema2,
          schemaPath,
          topSchemaRef,
          errSchemaPath
        };
      }
      throw new Error('either "keyword" or "schema" must be passed');
    }
    exports.getSubschema = getSubschema;
    function extendSubschemaData(subschema, it, { dataProp, dataPropType: dpType, data, dataTypes, propertyName }) {
      if (data !== void 0 && dataProp !== void 0) {
        throw new Error('both "data" and "dataProp" passed, only one allowed');
      }
      const { gen } = it;
      if (dataProp !== void 0) {
        const { errorPath, dataPathArr, opts } = it;
        const nextData = gen.let("data", (0, codegen_1._)`${it.data}${(0, codegen_1.getProperty)(dataProp)}`, true);
        dataContextProps(nextData);
        subschema.errorPath = (0, codegen_1.str)`${errorPath}${(0, util_1.getErrorPath)(dataProp, dpType, opts.jsPropertySyntax)}`;
        subschema.parentDataProperty = (0, codegen_1._)`${dataProp}`;
        subschema.dataPathArr = [...dataPathArr, subschema.parentDataProperty];
      }
      if (data !== void 0) {
        const nextData = data instanceof codegen_1.Name ? data : gen.let("data", data, true);
        dataContextProps(nextData);
        if (propertyName !== void 0)
          subschema.propertyName = propertyName;
      }
      if (dataTypes)
        subschema.dataTypes = dataTypes;
      function dataContextProps(_nextData) {
        subschema.data = _nextData;
        subschema.dataLevel = it.dataLevel + 1;
        subschema.dataTypes = [];
        it.definedProperties = /* @__PURE__ */ new Set();
        subschema.parentData = it.data;
        subschema.dataNames = [...it.dataNames, _nextData];
      }
    }
    exports.extendSubschemaData = extendSubschemaData;
    function extendSubschemaMode(subschema, { jtdDiscriminator, jtdMetadata, compositeRule, createErrors, allErrors }) {
      if (compositeRule !== void 0)
        subschema.compositeRule = compositeRule;
      if (createErrors !== void 0)
        subschema.createErrors = createErrors;
      if (allErrors !== void 0)
        subschema.allErrors = allErrors;
      subschema.jtdDiscriminator = jtdDiscriminator;
      subschema.jtdMetadata = jtdMetadata;
    }
    exports.extendSubschemaMode = extendSubschemaMode;
  }
});

// ../../work/main/node_modules/fast-deep-equal/index.js
var require_fast_deep_equal = __commonJS({
  "../../work/main/node_modules/fast-deep-equal/index.js"(exports, module) {
    "use strict";
    module.exports = function equal(a, b) {
      if (a === b) return true;
      if (a && b && typeof a == "object" && typeof b == "object") {
        if (a.constructor !== b.constructor) return false;
        var length, i, keys;
        if (Array.isArray(a)) {
          length = a.length;
          if (length != b.length) return false;
          for (i = length; i-- !== 0; )
            if (!equal(a[i], b[i])) return false;
          return true;
        }
        if (a.constructor === RegExp) return a.source === b.source && a.flags === b.flags;
        if (a.valueOf !== Object.prototype.valueOf) return a.valueOf() === b.valueOf();
        if (a.toString !== Object.prototype.toString) return a.toString() === b.toString();
        keys = Object.keys(a);
        length = keys.length;
        if (length !== Object.keys(b).length) return false;
        for (i = length; i-- !== 0; )
          if (!Object.prototype.hasOwnProperty.call(b, keys[i])) return false;
        for (i = length; i-- !== 0; ) {
          var key = keys[i];
          if (!equal(a[key], b[key])) return false;
        }
        return true;
      }
      return a !== a && b !== b;
    };
  }
});

// ../../work/main/node_modules/json-schema-traverse/index.js
var require_json_schema_traverse = __commonJS({
  "../../work/main/node_modules/json-schema-traverse/index.js"(exports, module) {
    "use strict";
    var traverse = module.exports = function(schema2, opts, cb) {
      if (typeof opts == "function") {
        cb = opts;
        opts = {};
      }
      cb = opts.cb || cb;
      var pre = typeof cb == "function" ? cb : cb.pre || function() {
      };
      var post = cb.post || function() {
      };
      _traverse(opts, pre, post, schema2, "", schema2);
    };
    traverse.keywords = {
      additionalItems: true,
      items: true,
      contains: true,
      additionalProperties: true,
      propertyNames: true,
      not: true,
      if: true,
      then: true,
      else: true
    };
    traverse.arrayKeywords = {
      items: true,
      allOf: true,
      anyOf: true,
      oneOf: true
    };
    traverse.propsKeywords = {
      $defs: true,
      definitions: true,
      properties: true,
      patternProperties: true,
      dependencies: true
    };
    traverse.skipKeywords = {
      default: true,
      enum: true,
      const: true,
      required: true,
      maximum: true,
      minimum: true,
      exclusiveMaximum: true,
      exclusiveMinimum: true,
      multipleOf: true,
      maxLength: true,
      minLength: true,
      pattern: true,
      format: true,
      maxItems: true,
      minItems: true,
      uniqueItems: true,
      maxProperties: true,
      minProperties: true
    };
    function _traverse(opts, pre, post, schema2, jsonPtr, rootSchema, parentJsonPtr, parentKeyword, parentSchema, keyIndex) {
      if (schema2 && typeof schema2 == "object" && !Array.isArray(schema2)) {
        pre(schema2, jsonPtr, rootSchema, parentJsonPtr, parentKeyword, parentSchema, keyIndex);
        for (var key in schema2) {
          var sch = schema2[key];
          if (Array.isArray(sch)) {
            if (key in traverse.arrayKeywords) {
              for (var i = 0; i < sch.length; i++)
                _traverse(opts, pre, post, sch[i], jsonPtr + "/" + key + "/" + i, rootSchema, jsonPtr, key, schema2, i);
            }
          } else if (key in traverse.propsKeywords) {
            if (sch && typeof sch == "object") {
              for (var prop in sch)
                _traverse(opts, pre, post, sch[prop], jsonPtr + "/" + key + "/" + escapeJsonPtr(prop), rootSchema, jsonPtr, key, schema2, prop);
            }
          } else if (key in traverse.keywords || opts.allKeys && !(key in traverse.skipKeywords)) {
            _traverse(opts, pre, post, sch, jsonPtr + "/" + key, rootSchema, jsonPtr, key, schema2);
          }
        }
        post(schema2, jsonPtr, rootSchema, parentJsonPtr, parentKeyword, parentSchema, keyIndex);
      }
    }
    function escapeJsonPtr(str2) {
      return str2.replace(/~/g, "~0").replace(/\//g, "~1");
    }
  }
});

// ../../work/main/node_modules/ajv/dist/compile/resolve.js
var require_resolve = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/resolve.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.getSchemaRefs = exports.resolveUrl = exports.normalizeId = exports._getFullPath = exports.getFullPath = exports.inlineRef = void 0;
    var util_1 = require_util();
    var equal = require_fast_deep_equal();
    var traverse = require_json_schema_traverse();
    var SIMPLE_INLINED = /* @__PURE__ */ new Set([
      "type",
      "format",
      "pattern",
      "maxLength",
      "minLength",
      "maxProperties",
      "minProperties",
      "maxItems",
      "minItems",
      "maximum",
      "minimum",
      "uniqueItems",
      "multipleOf",
      "required",
      "enum",
      "const"
    ]);
    function inlineRef(schema2, limit = true) {
      if (typeof schema2 == "boolean")
        return true;
      if (limit === true)
        return !hasRef(schema2);
      if (!limit)
        return false;
      return countKeys(schema2) <= limit;
    }
    exports.inlineRef = inlineRef;
    var REF_KEYWORDS = /* @__PURE__ */ new Set([
      "$ref",
      "$recursiveRef",
      "$recursiveAnchor",
      "$dynamicRef",
      "$dynamicAnchor"
    ]);
    function hasRef(schema2) {
      for (const key in schema2) {
        if (REF_KEYWORDS.has(key))
          return true;
        const sch = schema2[key];
        if (Array.isArray(sch) && sch.some(hasRef))
          return true;
        if (typeof sch == "object" && hasRef(sch))
          return true;
      }
      return false;
    }
    function countKeys(schema2) {
      let count = 0;
      for (const key in schema2) {
        if (key === "$ref")
          return Infinity;
        count++;
        if (SIMPLE_INLINED.has(key))
          continue;
        if (typeof schema2[key] == "object") {
          (0, util_1.eachItem)(schema2[key], (sch) => count += countKeys(sch));
        }
        if (count === Infinity)
          return Infinity;
      }
      return count;
    }
    function getFullPath(resolver, id = "", normalize) {
      if (normalize !== false)
        id = normalizeId(id);
      const p = resolver.parse(id);
      return _getFullPath(resolver, p);
    }
    exports.getFullPath = getFullPath;
    function _getFullPath(resolver, p) {
      const serialized = resolver.serialize(p);
      return serialized.split("#")[0] + "#";
    }
    exports._getFullPath = _getFullPath;
    var TRAILING_SLASH_HASH = /#\/?$/;
    function normalizeId(id) {
      return id ? id.replace(TRAILING_SLASH_HASH, "") : "";
    }
    exports.normalizeId = normalizeId;
    function resolveUrl(resolver, baseId, id) {
      id = normalizeId(id);
      return resolver.resolve(baseId, id);
    }
    exports.resolveUrl = resolveUrl;
    var ANCHOR = /^[a-z_][-a-z0-9._]*$/i;
    function getSchemaRefs(schema2, baseId) {
      if (typeof schema2 == "boolean")
        return {};
      const { schemaId, uriResolver } = this.opts;
      const schId = normalizeId(schema2[schemaId] || baseId);
      const baseIds = { "": schId };
      const pathPrefix = getFullPath(uriResolver, schId, false);
      const localRefs = {};
      const schemaRefs = /* @__PURE__ */ new Set();
      traverse(schema2, { allKeys: true }, (sch, jsonPtr, _, parentJsonPtr) => {
        if (parentJsonPtr === void 0)
          return;
        const fullPath = pathPrefix + jsonPtr;
        let innerBaseId = baseIds[parentJsonPtr];
        if (typeof sch[schemaId] == "string")
          innerBaseId = addRef.call(this, sch[schemaId]);
        addAnchor.call(this, sch.$anchor);
        addAnchor.call(this, sch.$dynamicAnchor);
        baseIds[jsonPtr] = innerBaseId;
        function addRef(ref) {
          const _resolve = this.opts.uriResolver.resolve;
          ref = normalizeId(innerBaseId ? _resolve(innerBaseId, ref) : ref);
          if (schemaRefs.has(ref))
            throw ambiguos(ref);
          schemaRefs.add(ref);
          let schOrRef = this.refs[ref];
          if (typeof schOrRef == "string")
            schOrRef = this.refs[schOrRef];
          if (typeof schOrRef == "object") {
            checkAmbiguosRef(sch, schOrRef.schema, ref);
          } else if (ref !== normalizeId(fullPath)) {
            if (ref[0] === "#") {
              checkAmbiguosRef(sch, localRefs[ref], ref);
              localRefs[ref] = sch;
            } else {
              this.refs[ref] = fullPath;
            }
          }
          return ref;
        }
        function addAnchor(anchor) {
          if (typeof anchor == "string") {
            if (!ANCHOR.test(anchor))
              throw new Error(`invalid anchor "${anchor}"`);
            addRef.call(this, `#${anchor}`);
          }
        }
      });
      return localRefs;
      function checkAmbiguosRef(sch1, sch2, ref) {
        if (sch2 !== void 0 && !equal(sch1, sch2))
          throw ambiguos(ref);
      }
      function ambiguos(ref) {
        return new Error(`reference "${ref}" resolves to more than one schema`);
      }
    }
    exports.getSchemaRefs = getSchemaRefs;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/validate/index.js
var require_validate = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/validate/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.getData = exports.KeywordCxt = exports.validateFunctionCode = void 0;
    var boolSchema_1 = require_boolSchema();
    var dataType_1 = require_dataType();
    var applicability_1 = require_applicability();
    var dataType_2 = require_dataType();
    var defaults_1 = require_defaults();
    var keyword_1 = require_keyword();
    var subschema_1 = require_subschema();
    var codegen_1 = require_codegen();
    var names_1 = require_names();
    var resolve_1 = require_resolve();
    var util_1 = require_util();
    var errors_1 = require_errors();
    function validateFunctionCode(it) {
      if (isSchemaObj(it)) {
        checkKeywords(it);
        if (schemaCxtHasRules(it)) {
          topSchemaObjCode(it);
          return;
        }
      }
      validateFunction(it, () => (0, boolSchema_1.topBoolOrEmptySchema)(it));
    }
    exports.validateFunctionCode = validateFunctionCode;
    function validateFunction({ gen, validateName, schema: schema2, schemaEnv, opts }, body) {
      if (opts.code.es5) {
        gen.func(validateName, (0, codegen_1._)`${names_1.default.data}, ${names_1.default.valCxt}`, schemaEnv.$async, () => {
          gen.code((0, codegen_1._)`"use strict"; ${funcSourceUrl(schema2, opts)}`);
          destructureValCxtES5(gen, opts);
          gen.code(body);
        });
      } else {
        gen.func(validateName, (0, codegen_1._)`${names_1.default.data}, ${destructureValCxt(opts)}`, schemaEnv.$async, () => gen.code(funcSourceUrl(schema2, opts)).code(body));
      }
    }
    function destructureValCxt(opts) {
      return (0, codegen_1._)`{${names_1.default.instancePath}="", ${names_1.default.parentData}, ${names_1.default.parentDataProperty}, ${names_1.default.rootData}=${names_1.default.data}${opts.dynamicRef ? (0, codegen_1._)`, ${names_1.default.dynamicAnchors}={}` : codegen_1.nil}}={}`;
    }
    function destructureValCxtES5(gen, opts) {
      gen.if(names_1.default.valCxt, () => {
        gen.var(names_1.default.instancePath, (0, codegen_1._)`${names_1.default.valCxt}.${names_1.default.instancePath}`);
        gen.var(names_1.default.parentData, (0, codegen_1._)`${names_1.default.valCxt}.${names_1.default.parentData}`);
        gen.var(names_1.default.parentDataProperty, (0, codegen_1._)`${names_1.default.valCxt}.${names_1.default.parentDataProperty}`);
        gen.var(names_1.default.rootData, (0, codegen_1._)`${names_1.default.valCxt}.${names_1.default.rootData}`);
        if (opts.dynamicRef)
          gen.var(names_1.default.dynamicAnchors, (0, codegen_1._)`${names_1.default.valCxt}.${names_1.default.dynamicAnchors}`);
      }, () => {
        gen.var(names_1.default.instancePath, (0, codegen_1._)`""`);
        gen.var(names_1.default.parentData, (0, codegen_1._)`undefined`);
        gen.var(names_1.default.parentDataProperty, (0, codegen_1._)`undefined`);
        gen.var(names_1.default.rootData, names_1.default.data);
        if (opts.dynamicRef)
          gen.var(names_1.default.dynamicAnchors, (0, codegen_1._)`{}`);
      });
    }
    function topSchemaObjCode(it) {
      const { schema: schema2, opts, gen } = it;
      validateFunction(it, () => {
        if (opts.$comment && schema2.$comment)
          commentKeyword(it);
        checkNoDefault(it);
        gen.let(names_1.default.vErrors, null);
        gen.let(names_1.default.errors, 0);
        if (opts.unevaluated)
          resetEvaluated(it);
        typeAndKeywords(it);
        returnResults(it);
      });
      return;
    }
    function resetEvaluated(it) {
      const { gen, validateName } = it;
      it.evaluated = gen.const("evaluated", (0, codegen_1._)`${validateName}.evaluated`);
      gen.if((0, codegen_1._)`${it.evaluated}.dynamicProps`, () => gen.assign((0, codegen_1._)`${it.evaluated}.props`, (0, codegen_1._)`undefined`));
      gen.if((0, codegen_1._)`${it.evaluated}.dynamicItems`, () => gen.assign((0, codegen_1._)`${it.evaluated}.items`, (0, codegen_1._)`undefined`));
    }
    function funcSourceUrl(schema2, opts) {
      const schId = typeof schema2 == "object" && schema2[opts.schemaId];
      return schId && (opts.code.source || opts.code.process) ? (0, codegen_1._)`/*# sourceURL=${schId} */` : codegen_1.nil;
    }
    function subschemaCode(it, valid) {
      if (isSchemaObj(it)) {
        checkKeywords(it);
        if (schemaCxtHasRules(it)) {
          subSchemaObjCode(it, valid);
          return;
        }
      }
      (0, boolSchema_1.boolOrEmptySchema)(it, valid);
    }
    function schemaCxtHasRules({ schema: schema2, self }) {
      if (typeof schema2 == "boolean")
        return !schema2;
      for (const key in schema2)
        if (self.RULES.all[key])
          return true;
      return false;
    }
    function isSchemaObj(it) {
      return typeof it.schema != "boolean";
    }
    function subSchemaObjCode(it, valid) {
      const { schema: schema2, gen, opts } = it;
      if (opts.$comment && schema2.$comment)
        commentKeyword(it);
      updateContext(it);
      checkAsyncSchema(it);
      const errsCount = gen.const("_errs", names_1.default.errors);
      typeAndKeywords(it, errsCount);
      gen.var(valid, (0, codegen_1._)`${errsCount} === ${names_1.default.errors}`);
    }
    function checkKeywords(it) {
      (0, util_1.checkUnknownRules)(it);
      checkRefsAndKeywords(it);
    }
    function typeAndKeywords(it, errsCount) {
      if (it.opts.jtd)
        return schemaKeywords(it, [], false, errsCount);
      const types2 = (0, dataType_1.getSchemaTypes)(it.schema);
      const checkedTypes = (0, dataType_1.coerceAndCheckDataType)(it, types2);
      schemaKeywords(it, types2, !checkedTypes, errsCount);
    }
    function checkRefsAndKeywords(it) {
      const { schema: schema2, errSchemaPath, opts, self } = it;
      if (schema2.$ref && opts.ignoreKeywordsWithRef && (0, util_1.schemaHasRulesButRef)(schema2, self.RULES)) {
        self.logger.warn(`$ref: keywords ignored in schema at path "${errSchemaPath}"`);
      }
    }
    function checkNoDefault(it) {
      const { schema: schema2, opts } = it;
      if (schema2.default !== void 0 && opts.useDefaults && opts.strictSchema) {
        (0, util_1.checkStrictMode)(it, "default is ignored in the schema root");
      }
    }
    function updateContext(it) {
      const schId = it.schema[it.opts.schemaId];
      if (schId)
        it.baseId = (0, resolve_1.resolveUrl)(it.opts.uriResolver, it.baseId, schId);
    }
    function checkAsyncSchema(it) {
      if (it.schema.$async && !it.schemaEnv.$async)
        throw new Error("async schema in sync schema");
    }
    function commentKeyword({ gen, schemaEnv, schema: schema2, errSchemaPath, opts }) {
      const msg = schema2.$comment;
      if (opts.$comment === true) {
        gen.code((0, codegen_1._)`${names_1.default.self}.logger.log(${msg})`);
      } else if (typeof opts.$comment == "function") {
        const schemaPath = (0, codegen_1.str)`${errSchemaPath}/$comment`;
        const rootName = gen.scopeValue("root", { ref: schemaEnv.root });
        gen.code((0, codegen_1._)`${names_1.default.self}.opts.$comment(${msg}, ${schemaPath}, ${rootName}.schema)`);
      }
    }
    function returnResults(it) {
      const { gen, schemaEnv, validateName, ValidationError, opts } = it;
      if (schemaEnv.$async) {
        gen.if((0, codegen_1._)`${names_1.default.errors} === 0`, () => gen.return(names_1.default.data), () => gen.throw((0, codegen_1._)`new ${ValidationError}(${names_1.default.vErrors})`));
      } else {
        gen.assign((0, codegen_1._)`${validateName}.errors`, names_1.default.vErrors);
        if (opts.unevaluated)
          assignEvaluated(it);
        gen.return((0, codegen_1._)`${names_1.default.errors} === 0`);
      }
    }
    function assignEvaluated({ gen, evaluated, props, items }) {
      if (props instanceof codegen_1.Name)
        gen.assign((0, codegen_1._)`${evaluated}.props`, props);
      if (items instanceof codegen_1.Name)
        gen.assign((0, codegen_1._)`${evaluated}.items`, items);
    }
    function schemaKeywords(it, types2, typeErrors, errsCount) {
      const { gen, schema: schema2, data, allErrors, opts, self } = it;
      const { RULES: RULES2 } = self;
      if (schema2.$ref && (opts.ignoreKeywordsWithRef || !(0, util_1.schemaHasRulesButRef)(schema2, RULES2))) {
        gen.block(() => keywordCode(it, "$ref", RULES2.all.$ref.definition));
        return;
      }
      if (!opts.jtd)
        checkStrictTypes(it, types2);
      gen.block(() => {
        for (const group of RULES2.rules)
          groupKeywords(group);
        groupKeywords(RULES2.post);
      });
      function groupKeywords(group) {
        if (!(0, applicability_1.shouldUseGroup)(schema2, group))
          return;
        if (group.type) {
          gen.if((0, dataType_2.checkDataType)(group.type, data, opts.strictNumbers));
          iterateKeywords(it, group);
          if (types2.length === 1 && types2[0] === group.type && typeErrors) {
            gen.else();
            (0, dataType_2.reportTypeError)(it);
          }
          gen.endIf();
        } else {
          iterateKeywords(it, group);
        }
        if (!allErrors)
          gen.if((0, codegen_1._)`${names_1.default.errors} === ${errsCount || 0}`);
      }
    }
    function iterateKeywords(it, group) {
      const { gen, schema: schema2, opts: { useDefaults } } = it;
      if (useDefaults)
        (0, defaults_1.assignDefaults)(it, group.type);
      gen.block(() => {
        for (const rule of group.rules) {
          if ((0, applicability_1.shouldUseRule)(schema2, rule)) {
            keywordCode(it, rule.keyword, rule.definition, group.type);
          }
        }
      });
    }
    function checkStrictTypes(it, types2) {
      if (it.schemaEnv.meta || !it.opts.strictTypes)
        return;
      checkContextTypes(it, types2);
      if (!it.opts.allowUnionTypes)
        checkMultipleTypes(it, types2);
      checkKeywordTypes(it, it.dataTypes);
    }
    function checkContextTypes(it, types2) {
      if (!types2.length)
        return;
      if (!it.dataTypes.length) {
        it.dataTypes = types2;
        return;
      }
      types2.forEach((t) => {
        if (!includesType(it.dataTypes, t)) {
          strictTypesError(it, `type "${t}" not allowed by context "${it.dataTypes.join(",")}"`);
        }
      });
      narrowSchemaTypes(it, types2);
    }
    function checkMultipleTypes(it, ts) {
      if (ts.length > 1 && !(ts.length === 2 && ts.includes("null"))) {
        strictTypesError(it, "use allowUnionTypes to allow union type keyword");
      }
    }
    function checkKeywordTypes(it, ts) {
      const rules = it.self.RULES.all;
      for (const keyword in rules) {
        const rule = rules[keyword];
        if (typeof rule == "object" && (0, applicability_1.shouldUseRule)(it.schema, rule)) {
          const { type: type2 } = rule.definition;
          if (type2.length && !type2.some((t) => hasApplicableType(ts, t))) {
            strictTypesError(it, `missing type "${type2.join(",")}" for keyword "${keyword}"`);
          }
        }
      }
    }
    function hasApplicableType(schTs, kwdT) {
      return schTs.includes(kwdT) || kwdT === "number" && schTs.includes("integer");
    }
    function includesType(ts, t) {
      return ts.includes(t) || t === "integer" && ts.includes("number");
    }
    function narrowSchemaTypes(it, withTypes) {
      const ts = [];
      for (const t of it.dataTypes) {
        if (includesType(withTypes, t))
          ts.push(t);
        else if (withTypes.includes("integer") && t === "number")
          ts.push("integer");
      }
      it.dataTypes = ts;
    }
    function strictTypesError(it, msg) {
      const schemaPath = it.schemaEnv.baseId + it.errSchemaPath;
      msg += ` at "${schemaPath}" (strictTypes)`;
      (0, util_1.checkStrictMode)(it, msg, it.opts.strictTypes);
    }
    var KeywordCxt = class {
      constructor(it, def, keyword) {
        (0, keyword_1.validateKeywordUsage)(it, def, keyword);
        this.gen = it.gen;
        this.allErrors = it.allErrors;
        this.keyword = keyword;
        this.data = it.data;
        this.schema = it.schema[keyword];
        this.$data = def.$data && it.opts.$data && this.schema && this.schema.$data;
        this.schemaValue = (0, util_1.schemaRefOrVal)(it, this.schema, keyword, this.$data);
        this.schemaType = def.schemaType;
        this.parentSchema = it.schema;
        this.params = {};
        this.it = it;
        this.def = def;
        if (this.$data) {
          this.schemaCode = it.gen.const("vSchema", getData(this.$data, it));
        } else {
          this.schemaCode = this.schemaValue;
          if (!(0, keyword_1.validSchemaType)(this.schema, def.schemaType, def.allowUndefined)) {
            throw new Error(`${keyword} value must be ${JSON.stringify(def.schemaType)}`);
          }
        }
        if ("code" in def ? def.trackErrors : def.errors !== false) {
          this.errsCount = it.gen.const("_errs", names_1.default.errors);
        }
      }
      result(condition, successAction, failAction) {
        this.failResult((0, codegen_1.not)(condition), successAction, failAction);
      }
      failResult(condition, successAction, failAction) {
        this.gen.if(condition);
        if (failAction)
          failAction();
        else
          this.error();
        if (successAction) {
          this.gen.else();
          successAction();
          if (this.allErrors)
            this.gen.endIf();
        } else {
          if (this.allErrors)
            this.gen.endIf();
          else
            this.gen.else();
        }
      }
      pass(condition, failAction) {
        this.failResult((0, codegen_1.not)(condition), void 0, failAction);
      }
      fail(condition) {
        if (condition === void 0) {
          this.error();
          if (!this.allErrors)
            this.gen.if(false);
          return;
        }
        this.gen.if(condition);
        this.error();
        if (this.allErrors)
          this.gen.endIf();
        else
          this.gen.else();
      }
      fail$data(condition) {
        if (!this.$data)
          return this.fail(condition);
        const { schemaCode } = this;
        this.fail((0, codegen_1._)`${schemaCode} !== undefined && (${(0, codegen_1.or)(this.invalid$data(), condition)})`);
      }
      error(append, errorParams, errorPaths) {
        if (errorParams) {
          this.setParams(errorParams);
          this._error(append, errorPaths);
          this.setParams({});
          return;
        }
        this._error(append, errorPaths);
      }
      _error(append, errorPaths) {
        ;
        (append ? errors_1.reportExtraError : errors_1.reportError)(this, this.def.error, errorPaths);
      }
      $dataError() {
        (0, errors_1.reportError)(this, this.def.$dataError || errors_1.keyword$DataError);
      }
      reset() {
        if (this.errsCount === void 0)
          throw new Error('add "trackErrors" to keyword definition');
        (0, errors_1.resetErrorsCount)(this.gen, this.errsCount);
      }
      ok(cond) {
        if (!this.allErrors)
          this.gen.if(cond);
      }
      setParams(obj, assign) {
        if (assign)
          Object.assign(this.params, obj);
        else
          this.params = obj;
      }
      block$data(valid, codeBlock, $dataValid = codegen_1.nil) {
        this.gen.block(() => {
          this.check$data(valid, $dataValid);
          codeBlock();
        });
      }
      check$data(valid = codegen_1.nil, $dataValid = codegen_1.nil) {
        if (!this.$data)
          return;
        const { gen, schemaCode, schemaType, def } = this;
        gen.if((0, codegen_1.or)((0, codegen_1._)`${schemaCode} === undefined`, $dataValid));
        if (valid !== codegen_1.nil)
          gen.assign(valid, true);
        if (schemaType.length || def.validateSchema) {
          gen.elseIf(this.invalid$data());
          this.$dataError();
          if (valid !== codegen_1.nil)
            gen.assign(valid, false);
        }
        gen.else();
      }
      invalid$data() {
        const { gen, schemaCode, schemaType, def, it } = this;
        return (0, codegen_1.or)(wrong$DataType(), invalid$DataSchema());
        function wrong$DataType() {
          if (schemaType.length) {
            if (!(schemaCode instanceof codegen_1.Name))
              throw new Error("ajv implementation error");
            const st = Array.isArray(schemaType) ? schemaType : [schemaType];
            return (0, codegen_1._)`${(0, dataType_2.checkDataTypes)(st, schemaCode, it.opts.strictNumbers, dataType_2.DataType.Wrong)}`;
          }
          return codegen_1.nil;
        }
        function invalid$DataSchema() {
          if (def.validateSchema) {
            const validateSchemaRef = gen.scopeValue("validate$data", { ref: def.validateSchema });
            return (0, codegen_1._)`!${validateSchemaRef}(${schemaCode})`;
          }
          return codegen_1.nil;
        }
      }
      subschema(appl, valid) {
        const subschema = (0, subschema_1.getSubschema)(this.it, appl);
        (0, subschema_1.extendSubschemaData)(subschema, this.it, appl);
        (0, subschema_1.extendSubschemaMode)(subschema, appl);
        const nextContext = { ...this.it, ...subschema, items: void 0, props: void 0 };
        subschemaCode(nextContext, valid);
        return nextContext;
      }
      mergeEvaluated(schemaCxt, toName) {
        const { it, gen } = this;
        if (!it.opts.unevaluated)
          return;
        if (it.props !== true && schemaCxt.props !== void 0) {
          it.props = util_1.mergeEvaluated.props(gen, schemaCxt.props, it.props, toName);
        }
        if (it.items !== true && schemaCxt.items !== void 0) {
          it.items = util_1.mergeEvaluated.items(gen, schemaCxt.items, it.items, toName);
        }
      }
      mergeValidEvaluated(schemaCxt, valid) {
        const { it, gen } = this;
        if (it.opts.unevaluated && (it.props !== true || it.items !== true)) {
          gen.if(valid, () => this.mergeEvaluated(schemaCxt, codegen_1.Name));
          return true;
        }
      }
    };
    exports.KeywordCxt = KeywordCxt;
    function keywordCode(it, keyword, def, ruleType) {
      const cxt = new KeywordCxt(it, def, keyword);
      if ("code" in def) {
        def.code(cxt, ruleType);
      } else if (cxt.$data && def.validate) {
        (0, keyword_1.funcKeywordCode)(cxt, def);
      } else if ("macro" in def) {
        (0, keyword_1.macroKeywordCode)(cxt, def);
      } else if (def.compile || def.validate) {
        (0, keyword_1.funcKeywordCode)(cxt, def);
      }
    }
    var JSON_POINTER = /^\/(?:[^~]|~0|~1)*$/;
    var RELATIVE_JSON_POINTER = /^([0-9]+)(#|\/(?:[^~]|~0|~1)*)?$/;
    function getData($data, { dataLevel, dataNames, dataPathArr }) {
      let jsonPointer;
      let data;
      if ($data === "")
        return names_1.default.rootData;
      if ($data[0] === "/") {
        if (!JSON_POINTER.test($data))
          throw new Error(`Invalid JSON-pointer: ${$data}`);
        jsonPointer = $data;
        data = names_1.default.rootData;
      } else {
        const matches = RELATIVE_JSON_POINTER.exec($data);
        if (!matches)
          throw new Error(`Invalid JSON-pointer: ${$data}`);
        const up = +matches[1];
        jsonPointer = matches[2];
        if (jsonPointer === "#") {
          if (up >= dataLevel)
            throw new Error(errorMsg("property/index", up));
          return dataPathArr[dataLevel - up];
        }
        if (up > dataLevel)
          throw new Error(errorMsg("data", up));
        data = dataNames[dataLevel - up];
        if (!jsonPointer)
          return data;
      }
      let expr = data;
      const segments = jsonPointer.split("/");
      for (const segment of segments) {
        if (segment) {
          data = (0, codegen_1._)`${data}${(0, codegen_1.getProperty)((0, util_1.unescapeJsonPointer)(segment))}`;
          expr = (0, codegen_1._)`${expr} && ${data}`;
        }
      }
      return expr;
      function errorMsg(pointerType, up) {
        return `Cannot access ${pointerType} ${up} levels up, current level is ${dataLevel}`;
      }
    }
    exports.getData = getData;
  }
});

// ../../work/main/node_modules/ajv/dist/runtime/validation_error.js
var require_validation_error = __commonJS({
  "../../work/main/node_modules/ajv/dist/runtime/validation_error.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var ValidationError = class extends Error {
      constructor(errors) {
        super("validation failed");
        this.errors = errors;
        this.ajv = this.validation = true;
      }
    };
    exports.default = ValidationError;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/ref_error.js
var require_ref_error = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/ref_error.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var resolve_1 = require_resolve();
    var MissingRefError = class extends Error {
      constructor(resolver, baseId, ref, msg) {
        super(msg || `can't resolve reference ${ref} from id ${baseId}`);
        this.missingRef = (0, resolve_1.resolveUrl)(resolver, baseId, ref);
        this.missingSchema = (0, resolve_1.normalizeId)((0, resolve_1.getFullPath)(resolver, this.missingRef));
      }
    };
    exports.default = MissingRefError;
  }
});

// ../../work/main/node_modules/ajv/dist/compile/index.js
var require_compile = __commonJS({
  "../../work/main/node_modules/ajv/dist/compile/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.resolveSchema = exports.getCompilingSchema = exports.resolveRef = exports.compileSchema = exports.SchemaEnv = void 0;
    var codegen_1 = require_codegen();
    var validation_error_1 = require_validation_error();
    var names_1 = require_names();
    var resolve_1 = require_resolve();
    var util_1 = require_util();
    var validate_1 = require_validate();
    var SchemaEnv = class {
      constructor(env) {
        var _a;
        this.refs = {};
        this.dynamicAnchors = {};
        let schema2;
        if (typeof env.schema == "object")
          schema2 = env.schema;
        this.schema = env.schema;
        this.schemaId = env.schemaId;
        this.root = env.root || this;
        this.baseId = (_a = env.baseId) !== null && _a !== void 0 ? _a : (0, resolve_1.normalizeId)(schema2 === null || schema2 === void 0 ? void 0 : schema2[env.schemaId || "$id"]);
        this.schemaPath = env.schemaPath;
        this.localRefs = env.localRefs;
        this.meta = env.meta;
        this.$async = schema2 === null || schema2 === void 0 ? void 0 : schema2.$async;
        this.refs = {};
      }
    };
    exports.SchemaEnv = SchemaEnv;
    function compileSchema(sch) {
      const _sch = getCompilingSchema.call(this, sch);
      if (_sch)
        return _sch;
      const rootId = (0, resolve_1.getFullPath)(this.opts.uriResolver, sch.root.baseId);
      const { es5, lines } = this.opts.code;
      const { ownProperties } = this.opts;
      const gen = new codegen_1.CodeGen(this.scope, { es5, lines, ownProperties });
      let _ValidationError;
      if (sch.$async) {
        _ValidationError = gen.scopeValue("Error", {
          ref: validation_error_1.default,
          code: (0, codegen_1._)`require("ajv/dist/runtime/validation_error").default`
        });
      }
      const validateName = gen.scopeName("validate");
      sch.validateName = validateName;
      const schemaCxt = {
        gen,
        allErrors: this.opts.allErrors,
        data: names_1.default.data,
        parentData: names_1.default.parentData,
        parentDataProperty: names_1.default.parentDataProperty,
        dataNames: [names_1.default.data],
        dataPathArr: [codegen_1.nil],
        // TODO can its length be used as dataLevel if nil is removed?
        dataLevel: 0,
        dataTypes: [],
        definedProperties: /* @__PURE__ */ new Set(),
        topSchemaRef: gen.scopeValue("schema", this.opts.code.source === true ? { ref: sch.schema, code: (0, codegen_1.stringify)(sch.schema) } : { ref: sch.schema }),
        validateName,
        ValidationError: _ValidationError,
        schema: sch.schema,
        schemaEnv: sch,
        rootId,
        baseId: sch.baseId || rootId,
        schemaPath: codegen_1.nil,
        errSchemaPath: sch.schemaPath || (this.opts.jtd ? "" : "#"),
        errorPath: (0, codegen_1._)`""`,
        opts: this.opts,
        self: this
      };
      let sourceCode;
      try {
        this._compilations.add(sch);
        (0, validate_1.validateFunctionCode)(schemaCxt);
        gen.optimize(this.opts.code.optimize);
        const validateCode = gen.toString();
        sourceCode = `${gen.scopeRefs(names_1.default.scope)}return ${validateCode}`;
        if (this.opts.code.process)
          sourceCode = this.opts.code.process(sourceCode, sch);
        const makeValidate = new Function(`${names_1.default.self}`, `${names_1.default.scope}`, sourceCode);
        const validate2 = makeValidate(this, this.scope.get());
        this.scope.value(validateName, { ref: validate2 });
        validate2.errors = null;
        validate2.schema = sch.schema;
        validate2.schemaEnv = sch;
        if (sch.$async)
          validate2.$async = true;
        if (this.opts.code.source === true) {
          validate2.source = { validateName, validateCode, scopeValues: gen._values };
        }
        if (this.opts.unevaluated) {
          const { props, items } = schemaCxt;
          validate2.evaluated = {
            props: props instanceof codegen_1.Name ? void 0 : props,
            items: items instanceof codegen_1.Name ? void 0 : items,
            dynamicProps: props instanceof codegen_1.Name,
            dynamicItems: items instanceof codegen_1.Name
          };
          if (validate2.source)
            validate2.source.evaluated = (0, codegen_1.stringify)(validate2.evaluated);
        }
        sch.validate = validate2;
        return sch;
      } catch (e) {
        delete sch.validate;
        delete sch.validateName;
        if (sourceCode)
          this.logger.error("Error compiling schema, function code:", sourceCode);
        throw e;
      } finally {
        this._compilations.delete(sch);
      }
    }
    exports.compileSchema = compileSchema;
    function resolveRef(root, baseId, ref) {
      var _a;
      ref = (0, resolve_1.resolveUrl)(this.opts.uriResolver, baseId, ref);
      const schOrFunc = root.refs[ref];
      if (schOrFunc)
        return schOrFunc;
      let _sch = resolve2.call(this, root, ref);
      if (_sch === void 0) {
        const schema2 = (_a = root.localRefs) === null || _a === void 0 ? void 0 : _a[ref];
        const { schemaId } = this.opts;
        if (schema2)
          _sch = new SchemaEnv({ schema: schema2, schemaId, root, baseId });
      }
      if (_sch === void 0)
        return;
      return root.refs[ref] = inlineOrCompile.call(this, _sch);
    }
    exports.resolveRef = resolveRef;
    function inlineOrCompile(sch) {
      if ((0, resolve_1.inlineRef)(sch.schema, this.opts.inlineRefs))
        return sch.schema;
      return sch.validate ? sch : compileSchema.call(this, sch);
    }
    function getCompilingSchema(schEnv) {
      for (const sch of this._compilations) {
        if (sameSchemaEnv(sch, schEnv))
          return sch;
      }
    }
    exports.getCompilingSchema = getCompilingSchema;
    function sameSchemaEnv(s1, s2) {
      return s1.schema === s2.schema && s1.root === s2.root && s1.baseId === s2.baseId;
    }
    function resolve2(root, ref) {
      let sch;
      while (typeof (sch = this.refs[ref]) == "string")
        ref = sch;
      return sch || this.schemas[ref] || resolveSchema.call(this, root, ref);
    }
    function resolveSchema(root, ref) {
      const p = this.opts.uriResolver.parse(ref);
      const refPath = (0, resolve_1._getFullPath)(this.opts.uriResolver, p);
      let baseId = (0, resolve_1.getFullPath)(this.opts.uriResolver, root.baseId, void 0);
      if (Object.keys(root.schema).length > 0 && refPath === baseId) {
        return getJsonPointer.call(this, p, root);
      }
      const id = (0, resolve_1.normalizeId)(refPath);
      const schOrRef = this.refs[id] || this.schemas[id];
      if (typeof schOrRef == "string") {
        const sch = resolveSchema.call(this, root, schOrRef);
        if (typeof (sch === null || sch === void 0 ? void 0 : sch.schema) !== "object")
          return;
        return getJsonPointer.call(this, p, sch);
      }
      if (typeof (schOrRef === null || schOrRef === void 0 ? void 0 : schOrRef.schema) !== "object")
        return;
      if (!schOrRef.validate)
        compileSchema.call(this, schOrRef);
      if (id === (0, resolve_1.normalizeId)(ref)) {
        const { schema: schema2 } = schOrRef;
        const { schemaId } = this.opts;
        const schId = schema2[schemaId];
        if (schId)
          baseId = (0, resolve_1.resolveUrl)(this.opts.uriResolver, baseId, schId);
        return new SchemaEnv({ schema: schema2, schemaId, root, baseId });
      }
      return getJsonPointer.call(this, p, schOrRef);
    }
    exports.resolveSchema = resolveSchema;
    var PREVENT_SCOPE_CHANGE = /* @__PURE__ */ new Set([
      "properties",
      "patternProperties",
      "enum",
      "dependencies",
      "definitions"
    ]);
    function getJsonPointer(parsedRef, { baseId, schema: schema2, root }) {
      var _a;
      if (((_a = parsedRef.fragment) === null || _a === void 0 ? void 0 : _a[0]) !== "/")
        return;
      for (const part of parsedRef.fragment.slice(1).split("/")) {
        if (typeof schema2 === "boolean")
          return;
        const partSchema = schema2[(0, util_1.unescapeFragment)(part)];
        if (partSchema === void 0)
          return;
        schema2 = partSchema;
        const schId = typeof schema2 === "object" && schema2[this.opts.schemaId];
        if (!PREVENT_SCOPE_CHANGE.has(part) && schId) {
          baseId = (0, resolve_1.resolveUrl)(this.opts.uriResolver, baseId, schId);
        }
      }
      let env;
      if (typeof schema2 != "boolean" && schema2.$ref && !(0, util_1.schemaHasRulesButRef)(schema2, this.RULES)) {
        const $ref = (0, resolve_1.resolveUrl)(this.opts.uriResolver, baseId, schema2.$ref);
        env = resolveSchema.call(this, root, $ref);
      }
      const { schemaId } = this.opts;
      env = env || new SchemaEnv({ schema: schema2, schemaId, root, baseId });
      if (env.schema !== env.root.schema)
        return env;
      return void 0;
    }
  }
});

// ../../work/main/node_modules/ajv/dist/refs/data.json
var require_data = __commonJS({
  "../../work/main/node_modules/ajv/dist/refs/data.json"(exports, module) {
    module.exports = {
      $id: "https://raw.githubusercontent.com/ajv-validator/ajv/master/lib/refs/data.json#",
      description: "Meta-schema for $data reference (JSON AnySchema extension proposal)",
      type: "object",
      required: ["$data"],
      properties: {
        $data: {
          type: "string",
          anyOf: [{ format: "relative-json-pointer" }, { format: "json-pointer" }]
        }
      },
      additionalProperties: false
    };
  }
});

// ../../work/main/node_modules/fast-uri/lib/utils.js
var require_utils = __commonJS({
  "../../work/main/node_modules/fast-uri/lib/utils.js"(exports, module) {
    "use strict";
    var isUUID = RegExp.prototype.test.bind(/^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/iu);
    var isIPv4 = RegExp.prototype.test.bind(/^(?:(?:25[0-5]|2[0-4]\d|1\d{2}|[1-9]\d|\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d{2}|[1-9]\d|\d)$/u);
    var isPort = RegExp.prototype.test.bind(/^\d*$/u);
    var isHexPair = RegExp.prototype.test.bind(/^[\da-f]{2}$/iu);
    var isUnreserved = RegExp.prototype.test.bind(/^[\da-z\-._~]$/iu);
    var isPathCharacter = RegExp.prototype.test.bind(/^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/u);
    var isQueryFragmentCharacter = RegExp.prototype.test.bind(/^[A-Za-z0-9\-._~!$&'()*+,;=:@/?]$/u);
    var isUserinfoCharacter = RegExp.prototype.test.bind(/^[A-Za-z0-9\-._~!$&'()*+,;=:]$/u);
    var BYTE_HEX = new Array(256);
    {
      const HEX_DIGITS = "0123456789ABCDEF";
      for (let i = 0; i < 256; i++) {
        BYTE_HEX[i] = "%" + HEX_DIGITS[i >> 4] + HEX_DIGITS[i & 15];
      }
    }
    function percentEncodeNonAscii(cp) {
      if (cp < 2048) {
        return BYTE_HEX[192 | cp >> 6] + BYTE_HEX[128 | cp & 63];
      }
      if (cp < 65536) {
        return BYTE_HEX[224 | cp >> 12] + BYTE_HEX[128 | cp >> 6 & 63] + BYTE_HEX[128 | cp & 63];
      }
      return BYTE_HEX[240 | cp >> 18] + BYTE_HEX[128 | cp >> 12 & 63] + BYTE_HEX[128 | cp >> 6 & 63] + BYTE_HEX[128 | cp & 63];
    }
    function stringArrayToHexStripped(input) {
      let acc = "";
      let code = 0;
      let i = 0;
      for (i = 0; i < input.length; i++) {
        code = input[i].charCodeAt(0);
        if (code === 48) {
          continue;
        }
        if (!(code >= 48 && code <= 57 || code >= 65 && code <= 70 || code >= 97 && code <= 102)) {
          return "";
        }
        acc += input[i];
        break;
      }
      for (i += 1; i < input.length; i++) {
        code = input[i].charCodeAt(0);
        if (!(code >= 48 && code <= 57 || code >= 65 && code <= 70 || code >= 97 && code <= 102)) {
          return "";
        }
        acc += input[i];
      }
      return acc;
    }
    var isHextet = RegExp.prototype.test.bind(/^[\dA-Fa-f]{1,4}$/);
    var isIPvFuture = RegExp.prototype.test.bind(/^[vV][\dA-Fa-f]+\.[A-Za-z\d\-._~!$&'()*+,;=:]+$/);
    var isZoneCharacter = RegExp.prototype.test.bind(/^[A-Za-z\d\-._~]$/);
    var nonSimpleDomain = RegExp.prototype.test.bind(/[^!"$&'()*+,\-.;=_`a-z{}~]/u);
    function isZoneIdentifier(zone) {
      if (zone.length === 0) return false;
      for (let i = 0; i < zone.length; i++) {
        if (isZoneCharacter(zone[i])) continue;
        if (zone[i] === "%" && i + 2 < zone.length && isHexPair(zone.slice(i + 1, i + 3))) {
          i += 2;
          continue;
        }
        return false;
      }
      return true;
    }
    function compressIPv6ZeroRun(hextets) {
      let bestStart = -1;
      let bestLength = 0;
      let runStart = -1;
      let runLength = 0;
      for (let i = 0; i < hextets.length; i++) {
        if (hextets[i] === "0") {
          if (runStart === -1) runStart = i;
          runLength++;
          if (runLength > bestLength) {
            bestLength = runLength;
            bestStart = runStart;
          }
        } else {
          runStart = -1;
          runLength = 0;
        }
      }
      if (bestLength < 2) return hextets.join(":");
      const head = hextets.slice(0, bestStart).join(":");
      const tail = hextets.slice(bestStart + bestLength).join(":");
      return head + "::" + tail;
    }
    function normalizeIPv6Address(input) {
      const compression = input.indexOf("::");
      if (compression !== -1 && input.indexOf("::", compression + 1) !== -1) return void 0;
      const left = compression === -1 ? input.split(":") : input.slice(0, compression).split(":");
      const right = compression === -1 ? [] : input.slice(compression + 2).split(":");
      if (compression !== -1) {
        if (left.length === 1 && left[0] === "") left.length = 0;
        if (right.length === 1 && right[0] === "") right.length = 0;
      }
      const parts = left.concat(right);
      let hextetCount = 0;
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        if (part === "") return void 0;
        if (part.indexOf(".") !== -1) {
          if (i !== parts.length - 1 || compression !== -1 && right.length === 0 || !isIPv4(part)) return void 0;
          hextetCount += 2;
          continue;
        }
        if (!isHextet(part)) return void 0;
        parts[i] = parseInt(part, 16).toString(16);
        hextetCount++;
      }
      if (compression === -1) {
        if (hextetCount !== 8) return void 0;
        return compressIPv6ZeroRun(parts);
      }
      if (hextetCount >= 8) return void 0;
      const expanded = parts.slice(0, left.length);
      for (let i = hextetCount; i < 8; i++) expanded.push("0");
      for (let i = left.length; i < parts.length; i++) expanded.push(parts[i]);
      return compressIPv6ZeroRun(expanded);
    }
    function normalizeIPv6(host) {
      const bracketed = host[0] === "[" && host[host.length - 1] === "]";
      const hasBracket = host[0] === "[" || host[host.length - 1] === "]";
      if (hasBracket && !bracketed) return { host, isIPV6: false, error: true };
      let input = bracketed ? host.slice(1, -1) : host;
      if (bracketed && isIPvFuture(input)) {
        input = input.toLowerCase();
        return { host: `[${input}]`, escapedHost: input, isIPV6: false, isIPVFuture: true };
      }
      if (findToken(input, ":") < 2) {
        return { host, isIPV6: false, error: bracketed };
      }
      let zoneIdentifier = "";
      const zoneSeparator = input.indexOf("%");
      if (zoneSeparator !== -1) {
        const separatorLength = input.slice(zoneSeparator, zoneSeparator + 3).toLowerCase() === "%25" ? 3 : 1;
        zoneIdentifier = input.slice(zoneSeparator + separatorLength);
        if (!isZoneIdentifier(zoneIdentifier)) return { host, isIPV6: false, error: true };
        input = input.slice(0, zoneSeparator);
      }
      const address = normalizeIPv6Address(input);
      if (address === void 0) return { host, isIPV6: false, error: true };
      return {
        host: address + (zoneIdentifier ? "%" + zoneIdentifier : ""),
        escapedHost: address + (zoneIdentifier ? "%25" + zoneIdentifier : ""),
        isIPV6: true
      };
    }
    function findToken(str2, token) {
      let ind = 0;
      for (let i = 0; i < str2.length; i++) {
        if (str2[i] === token) ind++;
      }
      return ind;
    }
    function removeDotSegments(path) {
      let input = path;
      const output = [];
      let nextSlash = -1;
      let len = 0;
      while (len = input.length) {
        if (len === 1) {
          if (input === ".") {
            break;
          } else if (input === "/") {
            output.push("/");
            break;
          } else {
            output.push(input);
            break;
          }
        } else if (len === 2) {
          if (input[0] === ".") {
            if (input[1] === ".") {
              break;
            } else if (input[1] === "/") {
              input = input.slice(2);
              continue;
            }
          } else if (input[0] === "/") {
            if (input[1] === "." || input[1] === "/") {
              output.push("/");
              break;
            }
          }
        } else if (len === 3) {
          if (input === "/..") {
            if (output.length !== 0) {
              output.pop();
            }
            output.push("/");
            break;
          }
        }
        if (input[0] === ".") {
          if (input[1] === ".") {
            if (input[2] === "/") {
              input = input.slice(3);
              continue;
            }
          } else if (input[1] === "/") {
            input = input.slice(2);
            continue;
          }
        } else if (input[0] === "/") {
          if (input[1] === ".") {
            if (input[2] === "/") {
              input = input.slice(2);
              continue;
            } else if (input[2] === ".") {
              if (input[3] === "/") {
                input = input.slice(3);
                if (output.length !== 0) {
                  output.pop();
                }
                continue;
              }
            }
          }
        }
        if ((nextSlash = input.indexOf("/", 1)) === -1) {
          output.push(input);
          break;
        } else {
          output.push(input.slice(0, nextSlash));
          input = input.slice(nextSlash);
        }
      }
      return output.join("");
    }
    function removeDotSegmentsRelative(path) {
      if (path === "" || path[0] === "/") {
        return removeDotSegments(path);
      }
      const segments = path.split("/");
      const last = segments.length - 1;
      const output = [];
      let trailingDirectory = false;
      for (let i = 0; i <= last; i++) {
        const segment = segments[i];
        if (segment === "." || segment === "..") {
          if (segment === "..") {
            if (output.length !== 0 && output[output.length - 1] !== "..") {
              output.pop();
            } else {
              output.push("..");
            }
          }
          trailingDirectory = i === last;
        } else {
          output.push(segment);
        }
      }
      if (trailingDirectory && output[output.length - 1] !== "..") {
        output.push("");
      }
      if (output.length === 0 || output[0] === "" || output[0].includes(":")) {
        output.unshift(".");
      }
      return output.join("/");
    }
    var HOST_DELIMS = { "@": "%40", "/": "%2F", "?": "%3F", "#": "%23", ":": "%3A" };
    var HOST_DELIM_RE = /[@/?#:]/g;
    var HOST_DELIM_NO_COLON_RE = /[@/?#]/g;
    function reescapeHostDelimiters(host, isIP) {
      const re = isIP ? HOST_DELIM_NO_COLON_RE : HOST_DELIM_RE;
      re.lastIndex = 0;
      return host.replace(re, (ch) => HOST_DELIMS[ch]);
    }
    function normalizePercentEncoding(input, decodeUnreserved = false) {
      if (input.indexOf("%") === -1) {
        return input;
      }
      let output = "";
      for (let i = 0; i < input.length; i++) {
        if (input[i] === "%" && i + 2 < input.length) {
          const hex = input.slice(i + 1, i + 3);
          if (isHexPair(hex)) {
            const normalizedHex = hex.toUpperCase();
            const decoded = String.fromCharCode(parseInt(normalizedHex, 16));
            if (decodeUnreserved && isUnreserved(decoded)) {
              output += decoded;
            } else {
              output += "%" + normalizedHex;
            }
            i += 2;
            continue;
          }
        }
        output += input[i];
      }
      return output;
    }
    function normalizePathEncoding(input) {
      let output = "";
      for (let i = 0; i < input.length; i++) {
        const ch = input[i];
        if (ch === "%" && i + 2 < input.length) {
          const hex = input.slice(i + 1, i + 3);
          if (isHexPair(hex)) {
            const normalizedHex = hex.toUpperCase();
            const decoded = String.fromCharCode(parseInt(normalizedHex, 16));
            if (decoded !== "." && isUnreserved(decoded)) {
              output += decoded;
            } else {
              output += "%" + normalizedHex;
            }
            i += 2;
            continue;
          }
        }
        if (isPathCharacter(ch)) {
          output += ch;
        } else {
          const code = input.charCodeAt(i);
          if (code < 128) {
            output += isEscapeSafe(code) ? ch : BYTE_HEX[code];
          } else if (code < 55296 || code > 57343) {
            output += percentEncodeNonAscii(code);
          } else if (code <= 56319 && i + 1 < input.length) {
            const low = input.charCodeAt(i + 1);
            if (low >= 56320 && low <= 57343) {
              output += percentEncodeNonAscii(65536 + (code - 55296 << 10) + (low - 56320));
              i++;
            } else {
              output += percentEncodeNonAscii(65533);
            }
          } else {
            output += percentEncodeNonAscii(65533);
          }
        }
      }
      return output;
    }
    function serializePathEncoding(input, pathNoScheme = false) {
      let output = "";
      let firstSegment = pathNoScheme && input[0] !== "/";
      for (let i = 0; i < input.length; i++) {
        const ch = input[i];
        if (ch === "%" && i + 2 < input.length) {
          const hex = input.slice(i + 1, i + 3);
          if (isHexPair(hex)) {
            output += "%" + hex.toUpperCase();
            i += 2;
            continue;
          }
        }
        if (ch === "/") {
          firstSegment = false;
        }
        if (isPathCharacter(ch) && (ch !== ":" || !firstSegment)) {
          output += ch;
        } else {
          const code = input.charCodeAt(i);
          if (code < 128) {
            output += BYTE_HEX[code];
          } else if (code < 55296 || code > 57343) {
            output += percentEncodeNonAscii(code);
          } else if (code <= 56319 && i + 1 < input.length) {
            const low = input.charCodeAt(i + 1);
            if (low >= 56320 && low <= 57343) {
              output += percentEncodeNonAscii(65536 + (code - 55296 << 10) + (low - 56320));
              i++;
            } else {
              output += percentEncodeNonAscii(65533);
            }
          } else {
            output += percentEncodeNonAscii(65533);
          }
        }
      }
      return output;
    }
    function encodeComponent(input, isAllowed) {
      let output = "";
      for (let i = 0; i < input.length; i++) {
        const ch = input[i];
        if (ch === "%" && i + 2 < input.length) {
          const hex = input.slice(i + 1, i + 3);
          if (isHexPair(hex)) {
            output += "%" + hex.toUpperCase();
            i += 2;
            continue;
          }
        }
        if (isAllowed(ch)) {
          output += ch;
        } else {
          const code = input.charCodeAt(i);
          if (code < 128) {
            output += BYTE_HEX[code];
          } else if (code < 55296 || code > 57343) {
            output += percentEncodeNonAscii(code);
          } else if (code <= 56319 && i + 1 < input.length) {
            const low = input.charCodeAt(i + 1);
            if (low >= 56320 && low <= 57343) {
              output += percentEncodeNonAscii(65536 + (code - 55296 << 10) + (low - 56320));
              i++;
            } else {
              output += percentEncodeNonAscii(65533);
            }
          } else {
            output += percentEncodeNonAscii(65533);
          }
        }
      }
      return output;
    }
    function encodeUserinfo(input) {
      return encodeComponent(input, isUserinfoCharacter);
    }
    function encodeQuery(input) {
      return encodeComponent(input, isQueryFragmentCharacter);
    }
    function encodeFragment(input) {
      return encodeComponent(input, isQueryFragmentCharacter);
    }
    function isEscapeSafe(cp) {
      return cp >= 48 && cp <= 57 || cp >= 65 && cp <= 90 || cp >= 97 && cp <= 122 || cp === 42 || cp === 43 || cp === 45 || cp === 46 || cp === 47 || cp === 64 || cp === 95;
    }
    function normalizeQueryFragmentEncoding(input) {
      let output = "";
      for (let i = 0; i < input.length; i++) {
        const ch = input[i];
        if (ch === "%" && i + 2 < input.length) {
          const hex = input.slice(i + 1, i + 3);
          if (isHexPair(hex)) {
            const normalizedHex = hex.toUpperCase();
            const decoded = String.fromCharCode(parseInt(normalizedHex, 16));
            if (isUnreserved(decoded)) {
              output += decoded;
            } else {
              output += "%" + normalizedHex;
            }
            i += 2;
            continue;
          }
        }
        if (isQueryFragmentCharacter(ch)) {
          output += ch;
        } else {
          const code = input.charCodeAt(i);
          if (code < 128) {
            output += isEscapeSafe(code) ? ch : BYTE_HEX[code];
          } else if (code < 55296 || code > 57343) {
            output += percentEncodeNonAscii(code);
          } else if (code <= 56319 && i + 1 < input.length) {
            const low = input.charCodeAt(i + 1);
            if (low >= 56320 && low <= 57343) {
              output += percentEncodeNonAscii(65536 + (code - 55296 << 10) + (low - 56320));
              i++;
            } else {
              output += percentEncodeNonAscii(65533);
            }
          } else {
            output += percentEncodeNonAscii(65533);
          }
        }
      }
      return output;
    }
    function escapePreservingEscapes(input) {
      let output = "";
      for (let i = 0; i < input.length; i++) {
        if (input[i] === "%" && i + 2 < input.length) {
          const hex = input.slice(i + 1, i + 3);
          if (isHexPair(hex)) {
            output += "%" + hex.toUpperCase();
            i += 2;
            continue;
          }
        }
        output += escape(input[i]);
      }
      return output;
    }
    function recomposeAuthority(component) {
      const uriTokens = [];
      if (component.userinfo !== void 0) {
        uriTokens.push(encodeUserinfo(component.userinfo));
        uriTokens.push("@");
      }
      if (component.host !== void 0) {
        let host = component.host;
        if (!isIPv4(host)) {
          let ipV6res = normalizeIPv6(host);
          if (ipV6res.isIPV6 !== true && ipV6res.isIPVFuture !== true) {
            host = normalizePercentEncoding(host, true);
            ipV6res = normalizeIPv6(host);
          }
          if (ipV6res.isIPV6 === true || ipV6res.isIPVFuture === true) {
            host = `[${ipV6res.escapedHost}]`;
          } else {
            host = reescapeHostDelimiters(host, false);
          }
        }
        uriTokens.push(host);
      }
      if (typeof component.port === "number" || typeof component.port === "string") {
        const port = String(component.port);
        if (!isPort(port)) {
          throw new TypeError("URI port is malformed.");
        }
        uriTokens.push(":");
        uriTokens.push(port);
      }
      return uriTokens.length ? uriTokens.join("") : void 0;
    }
    module.exports = {
      nonSimpleDomain,
      recomposeAuthority,
      reescapeHostDelimiters,
      normalizePercentEncoding,
      normalizePathEncoding,
      serializePathEncoding,
      normalizeQueryFragmentEncoding,
      encodeUserinfo,
      encodeQuery,
      encodeFragment,
      escapePreservingEscapes,
      removeDotSegments,
      removeDotSegmentsRelative,
      isIPv4,
      isUUID,
      normalizeIPv6,
      stringArrayToHexStripped
    };
  }
});

// ../../work/main/node_modules/fast-uri/lib/schemes.js
var require_schemes = __commonJS({
  "../../work/main/node_modules/fast-uri/lib/schemes.js"(exports, module) {
    "use strict";
    var { isUUID } = require_utils();
    var URN_REG = /^([\da-z][\d\-a-z]{0,31}):((?:[\w!$'()*+,\-./:;=@]|%[\da-f]{2})+)$/iu;
    var supportedSchemeNames = (
      /** @type {const} */
      [
        "http",
        "https",
        "ws",
        "wss",
        "urn",
        "urn:uuid"
      ]
    );
    function isValidSchemeName(name) {
      return supportedSchemeNames.indexOf(
        /** @type {*} */
        name
      ) !== -1;
    }
    function wsIsSecure(wsComponent) {
      if (wsComponent.secure === true) {
        return true;
      } else if (wsComponent.secure === false) {
        return false;
      } else if (wsComponent.scheme) {
        return wsComponent.scheme.length === 3 && (wsComponent.scheme[0] === "w" || wsComponent.scheme[0] === "W") && (wsComponent.scheme[1] === "s" || wsComponent.scheme[1] === "S") && (wsComponent.scheme[2] === "s" || wsComponent.scheme[2] === "S");
      } else {
        return false;
      }
    }
    function httpParse(component) {
      if (!component.host) {
        component.error = component.error || "HTTP URIs must have a host.";
      }
      return component;
    }
    function httpSerialize(component) {
      const secure = String(component.scheme).toLowerCase() === "https";
      if (component.port === (secure ? 443 : 80) || component.port === "") {
        component.port = void 0;
      }
      if (!component.path) {
        component.path = "/";
      }
      return component;
    }
    function wsParse(wsComponent) {
      wsComponent.secure = wsIsSecure(wsComponent);
      wsComponent.resourceName = (wsComponent.path || "/") + (wsComponent.query ? "?" + wsComponent.query : "");
      wsComponent.path = void 0;
      wsComponent.query = void 0;
      return wsComponent;
    }
    function wsSerialize(wsComponent) {
      if (wsComponent.port === (wsIsSecure(wsComponent) ? 443 : 80) || wsComponent.port === "") {
        wsComponent.port = void 0;
      }
      if (typeof wsComponent.secure === "boolean") {
        wsComponent.scheme = wsComponent.secure ? "wss" : "ws";
        wsComponent.secure = void 0;
      }
      if (wsComponent.resourceName) {
        const queryIndex = wsComponent.resourceName.indexOf("?");
        const path = queryIndex === -1 ? wsComponent.resourceName : wsComponent.resourceName.slice(0, queryIndex);
        wsComponent.path = path && path !== "/" ? path : void 0;
        wsComponent.query = queryIndex === -1 ? void 0 : wsComponent.resourceName.slice(queryIndex + 1);
        wsComponent.resourceName = void 0;
      }
      wsComponent.fragment = void 0;
      return wsComponent;
    }
    function urnParse(urnComponent, options) {
      if (!urnComponent.path) {
        urnComponent.error = "URN can not be parsed";
        return urnComponent;
      }
      const matches = urnComponent.path.match(URN_REG);
      if (matches && matches[0] === urnComponent.path) {
        const scheme = options.scheme || urnComponent.scheme || "urn";
        urnComponent.nid = matches[1].toLowerCase();
        urnComponent.nss = matches[2];
        const urnScheme = `${scheme}:${options.nid || urnComponent.nid}`;
        const schemeHandler = getSchemeHandler(urnScheme);
        urnComponent.path = void 0;
        if (schemeHandler) {
          urnComponent = schemeHandler.parse(urnComponent, options);
        }
      } else {
        urnComponent.error = urnComponent.error || "URN can not be parsed.";
      }
      return urnComponent;
    }
    function urnSerialize(urnComponent, options) {
      if (urnComponent.nid === void 0) {
        throw new Error("URN without nid cannot be serialized");
      }
      const scheme = options.scheme || urnComponent.scheme || "urn";
      const nid = urnComponent.nid.toLowerCase();
      const urnScheme = `${scheme}:${options.nid || nid}`;
      const schemeHandler = getSchemeHandler(urnScheme);
      if (schemeHandler) {
        urnComponent = schemeHandler.serialize(urnComponent, options);
      }
      const uriComponent = urnComponent;
      const nss = urnComponent.nss;
      uriComponent.path = `${nid || options.nid}:${nss}`;
      options.skipEscape = true;
      return uriComponent;
    }
    function urnuuidParse(urnComponent, options) {
      const uuidComponent = urnComponent;
      uuidComponent.uuid = uuidComponent.nss;
      uuidComponent.nss = void 0;
      if (!options.tolerant && (!uuidComponent.uuid || !isUUID(uuidComponent.uuid))) {
        uuidComponent.error = uuidComponent.error || "UUID is not valid.";
      }
      return uuidComponent;
    }
    function urnuuidSerialize(uuidComponent) {
      const urnComponent = uuidComponent;
      urnComponent.nss = (uuidComponent.uuid || "").toLowerCase();
      return urnComponent;
    }
    var http = (
      /** @type {SchemeHandler} */
      {
        scheme: "http",
        domainHost: true,
        parse: httpParse,
        serialize: httpSerialize
      }
    );
    var https = (
      /** @type {SchemeHandler} */
      {
        scheme: "https",
        domainHost: http.domainHost,
        parse: httpParse,
        serialize: httpSerialize
      }
    );
    var ws = (
      /** @type {SchemeHandler} */
      {
        scheme: "ws",
        domainHost: true,
        parse: wsParse,
        serialize: wsSerialize
      }
    );
    var wss = (
      /** @type {SchemeHandler} */
      {
        scheme: "wss",
        domainHost: ws.domainHost,
        parse: ws.parse,
        serialize: ws.serialize
      }
    );
    var urn = (
      /** @type {SchemeHandler} */
      {
        scheme: "urn",
        parse: urnParse,
        serialize: urnSerialize,
        skipNormalize: true
      }
    );
    var urnuuid = (
      /** @type {SchemeHandler} */
      {
        scheme: "urn:uuid",
        parse: urnuuidParse,
        serialize: urnuuidSerialize,
        skipNormalize: true
      }
    );
    var SCHEMES = (
      /** @type {Record<SchemeName, SchemeHandler>} */
      {
        http,
        https,
        ws,
        wss,
        urn,
        "urn:uuid": urnuuid
      }
    );
    Object.setPrototypeOf(SCHEMES, null);
    function getSchemeHandler(scheme) {
      return scheme && (SCHEMES[
        /** @type {SchemeName} */
        scheme
      ] || SCHEMES[
        /** @type {SchemeName} */
        scheme.toLowerCase()
      ]) || void 0;
    }
    module.exports = {
      wsIsSecure,
      SCHEMES,
      isValidSchemeName,
      getSchemeHandler
    };
  }
});

// ../../work/main/node_modules/fast-uri/index.js
var require_fast_uri = __commonJS({
  "../../work/main/node_modules/fast-uri/index.js"(exports, module) {
    "use strict";
    var { normalizeIPv6, removeDotSegments, removeDotSegmentsRelative, recomposeAuthority, normalizePercentEncoding, normalizePathEncoding, serializePathEncoding, normalizeQueryFragmentEncoding, encodeQuery, encodeFragment, reescapeHostDelimiters, isIPv4, nonSimpleDomain } = require_utils();
    var { SCHEMES, getSchemeHandler } = require_schemes();
    var VALID_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/u;
    var MALFORMED_SCHEME_ERROR = "URI scheme is malformed.";
    var MALFORMED_HOST_ERROR = "URI host is malformed.";
    var FORBIDDEN_DOMAIN_HOST_CHARACTER = /[\0-\x20"#/:<>?@[\\\]^`{|}\x7F]/u;
    function validateScheme(scheme) {
      const stringScheme = String(scheme);
      if (!VALID_SCHEME.test(stringScheme)) {
        throw new TypeError(MALFORMED_SCHEME_ERROR);
      }
      return stringScheme;
    }
    function normalize(uri, options) {
      if (typeof uri === "string") {
        uri = /** @type {T} */
        normalizeString(uri, options);
      } else if (typeof uri === "object") {
        uri = /** @type {T} */
        parse(serialize(uri, options), options);
      }
      return uri;
    }
    function resolve2(baseURI, relativeURI, options) {
      const schemelessOptions = options ? Object.assign({ scheme: "null" }, options) : { scheme: "null" };
      const {
        parsed: baseParsed,
        malformedAuthorityOrPort: baseMalformed,
        malformedPercentEncoding: baseMalformedPercentEncoding,
        malformedSchemeSpecific: baseMalformedSchemeSpecific,
        malformedHost: baseMalformedHost,
        malformedScheme: baseMalformedScheme
      } = parseWithStatus(baseURI, schemelessOptions);
      const {
        parsed: relativeParsed,
        malformedAuthorityOrPort: relativeMalformed,
        malformedPercentEncoding: relativeMalformedPercentEncoding,
        malformedSchemeSpecific: relativeMalformedSchemeSpecific,
        malformedHost: relativeMalformedHost,
        malformedScheme: relativeMalformedScheme
      } = parseWithStatus(relativeURI, schemelessOptions);
      if (baseMalformed || relativeMalformed || baseMalformedPercentEncoding || relativeMalformedPercentEncoding || baseMalformedSchemeSpecific || relativeMalformedSchemeSpecific || baseMalformedHost || relativeMalformedHost || baseMalformedScheme || relativeMalformedScheme) {
        throw new Error(baseParsed.error || relativeParsed.error || "URI is malformed.");
      }
      const resolved = resolveComponent(baseParsed, relativeParsed, schemelessOptions, true);
      const resolvedSchemeHandler = getSchemeHandler(options && options.scheme || resolved.scheme);
      const resolvedHost = resolved.host;
      const resolvedHostIsIP = resolvedHost !== void 0 && resolvedHost !== "" && (isIPv4(resolvedHost) || normalizeIPv6(resolvedHost).isIPV6);
      if (hasForbiddenDomainHost(resolved, options || {}, resolvedSchemeHandler, resolvedHostIsIP)) {
        throw new Error(MALFORMED_HOST_ERROR);
      }
      canonicalizeHost(resolved, options || {}, resolvedSchemeHandler, resolvedHostIsIP);
      const encodedASCIIHost = resolvedHost && resolvedHost.indexOf("%") !== -1 && !new RegExp("\\P{ASCII}", "u").test(resolvedHost);
      if (resolved.error && !encodedASCIIHost) {
        throw new Error(resolved.error);
      }
      schemelessOptions.skipEscape = true;
      return serialize(resolved, schemelessOptions);
    }
    function resolveComponent(base, relative, options, skipNormalization) {
      const target = {};
      if (!skipNormalization) {
        base = parse(serialize(base, options), options);
        relative = parse(serialize(relative, options), options);
      }
      options = options || {};
      if (!options.tolerant && relative.scheme) {
        target.scheme = relative.scheme;
        target.userinfo = relative.userinfo;
        target.host = relative.host;
        target.port = relative.port;
        target.path = removeDotSegments(relative.path || "");
        target.query = relative.query;
      } else {
        if (relative.userinfo !== void 0 || relative.host !== void 0 || relative.port !== void 0) {
          target.userinfo = relative.userinfo;
          target.host = relative.host;
          target.port = relative.port;
          target.path = removeDotSegments(relative.path || "");
          target.query = relative.query;
        } else {
          if (!relative.path) {
            target.path = base.path;
            if (relative.query !== void 0) {
              target.query = relative.query;
            } else {
              target.query = base.query;
            }
          } else {
            if (relative.path[0] === "/") {
              target.path = removeDotSegments(relative.path);
            } else {
              const baseHasAuthority = base.userinfo !== void 0 || base.host !== void 0 || base.port !== void 0;
              if (baseHasAuthority && !base.path) {
                target.path = "/" + relative.path;
              } else if (!base.path) {
                target.path = relative.path;
              } else {
                target.path = base.path.slice(0, base.path.lastIndexOf("/") + 1) + relative.path;
              }
              target.path = base.scheme === void 0 && !baseHasAuthority && target.path[0] !== "/" ? removeDotSegmentsRelative(target.path) : removeDotSegments(target.path);
            }
            target.query = relative.query;
          }
          target.userinfo = base.userinfo;
          target.host = base.host;
          target.port = base.port;
        }
        target.scheme = base.scheme;
      }
      target.fragment = relative.fragment;
      return target;
    }
    function equal(uriA, uriB, options) {
      const normalizedA = normalizeComparableURI(uriA, options);
      const normalizedB = normalizeComparableURI(uriB, options);
      return normalizedA !== void 0 && normalizedB !== void 0 && normalizedA === normalizedB;
    }
    function serialize(cmpts, opts) {
      const component = {
        host: cmpts.host,
        scheme: cmpts.scheme,
        userinfo: cmpts.userinfo,
        port: cmpts.port,
        path: cmpts.path,
        query: cmpts.query,
        nid: cmpts.nid,
        nss: cmpts.nss,
        uuid: cmpts.uuid,
        fragment: cmpts.fragment,
        reference: cmpts.reference,
        resourceName: cmpts.resourceName,
        secure: cmpts.secure,
        error: ""
      };
      const options = Object.assign({}, opts);
      const uriTokens = [];
      if (component.scheme) {
        component.scheme = validateScheme(component.scheme);
      }
      const schemeHandler = getSchemeHandler(options.scheme || component.scheme);
      if (schemeHandler && schemeHandler.serialize) schemeHandler.serialize(component, options);
      const hasAuthority = component.userinfo !== void 0 || component.host !== void 0 || component.port !== void 0;
      const schemelessReference = (component.scheme === void 0 || options.reference === "suffix") && !hasAuthority;
      const pathNoScheme = !options.skipEscape && schemelessReference;
      if (component.path !== void 0) {
        if (!options.skipEscape) {
          component.path = serializePathEncoding(component.path, pathNoScheme);
        } else {
          component.path = normalizePercentEncoding(component.path);
        }
      }
      if (options.reference !== "suffix" && component.scheme) {
        component.scheme = validateScheme(component.scheme);
        uriTokens.push(component.scheme, ":");
      }
      const authority = recomposeAuthority(component);
      if (authority !== void 0) {
        if (options.reference !== "suffix") {
          uriTokens.push("//");
        }
        uriTokens.push(authority);
        if (component.path && component.path[0] !== "/") {
          uriTokens.push("/");
        }
      }
      if (component.path !== void 0) {
        let s = component.path;
        if (!options.absolutePath && (!schemeHandler || !schemeHandler.absolutePath)) {
          s = schemelessReference && s[0] !== "/" ? removeDotSegmentsRelative(s) : removeDotSegments(s);
        }
        if (schemelessReference) {
          s = serializePathEncoding(s, true);
        }
        if (authority === void 0 && s[0] === "/" && s[1] === "/") {
          s = "/%2F" + s.slice(2);
        }
        uriTokens.push(s);
      }
      if (component.query !== void 0) {
        uriTokens.push("?", encodeQuery(component.query));
      }
      if (component.fragment !== void 0) {
        uriTokens.push("#", encodeFragment(component.fragment));
      }
      return uriTokens.join("");
    }
    var URI_PARSE = /^(?:([^#/:?]+):)?(?:\/\/((?:([^#/?@]*)@)?(\[[^#/?\]]+\]|[^#/:?]*)(?::(\d*))?))?([^#?]*)(?:\?([^#]*))?(?:#((?:.|[\n\r])*))?/u;
    var AUTHORITY_PREFIX = /^(?:[^#/:?]+:)?\/\/([^/?#]*)/;
    var AUTHORITY_INTRODUCER_REGION = /^(?:[^#/:?]+:)?([/\\\t\n\r]*)/;
    function getParseError(parsed2, matches) {
      if (matches[2] !== void 0 && parsed2.path && parsed2.path[0] !== "/") {
        return 'URI path must start with "/" when authority is present.';
      }
      if (typeof parsed2.port === "number" && (parsed2.port < 0 || parsed2.port > 65535)) {
        return "URI port is malformed.";
      }
      return void 0;
    }
    function hasMalformedPercentEncoding(component) {
      if (component === void 0) return false;
      let percent = component.indexOf("%");
      while (percent !== -1) {
        if (percent + 2 >= component.length || !/^[\da-f]{2}$/iu.test(component.slice(percent + 1, percent + 3))) {
          return true;
        }
        percent = component.indexOf("%", percent + 3);
      }
      return false;
    }
    function isIPLiteral(host) {
      return host[0] === "[" && host[host.length - 1] === "]";
    }
    function hasMalformedComponentPercentEncoding(matches) {
      const host = matches[4];
      return hasMalformedPercentEncoding(matches[3]) || host !== void 0 && !isIPLiteral(host) && hasMalformedPercentEncoding(host) || hasMalformedPercentEncoding(matches[6]) || hasMalformedPercentEncoding(matches[7]) || hasMalformedPercentEncoding(matches[8]);
    }
    function canonicalizeHost(parsed2, options, schemeHandler, isIP) {
      if (hasForbiddenDomainHost(parsed2, options, schemeHandler, isIP)) {
        parsed2.error = parsed2.error || MALFORMED_HOST_ERROR;
        return true;
      }
      if (!options.unicodeSupport && (!schemeHandler || !schemeHandler.unicodeSupport) && parsed2.host && !isIPLiteral(parsed2.host) && (options.domainHost || schemeHandler && schemeHandler.domainHost) && isIP === false && nonSimpleDomain(parsed2.host)) {
        let url;
        try {
          url = new URL("http://" + parsed2.host);
        } catch (e) {
          parsed2.error = parsed2.error || "Host's domain name can not be converted to ASCII: " + e;
          return true;
        }
        if (!isHostOnlyURL(url)) {
          parsed2.error = parsed2.error || MALFORMED_HOST_ERROR;
          return true;
        }
        parsed2.host = url.hostname;
      }
      return false;
    }
    function hasForbiddenDomainHost(parsed2, options, schemeHandler, isIP) {
      return Boolean(
        parsed2.host && isIP === false && !isIPLiteral(parsed2.host) && (options.domainHost || schemeHandler && schemeHandler.domainHost) && FORBIDDEN_DOMAIN_HOST_CHARACTER.test(parsed2.host)
      );
    }
    function isHostOnlyURL(url) {
      return url.username === "" && url.password === "" && url.port === "" && url.pathname === "/" && url.search === "" && url.hash === "" && url.hostname !== "";
    }
    function parseWithStatus(uri, opts) {
      const options = Object.assign({}, opts);
      const parsed2 = {
        scheme: void 0,
        userinfo: void 0,
        host: "",
        port: void 0,
        path: "",
        query: void 0,
        fragment: void 0
      };
      let malformedAuthorityOrPort = false;
      let malformedPercentEncoding = false;
      let malformedSchemeSpecific = false;
      let malformedHost = false;
      let malformedIPLiteral = false;
      let malformedScheme = false;
      let isIP = false;
      if (options.reference === "suffix") {
        if (options.scheme) {
          uri = options.scheme + ":" + uri;
        } else {
          uri = "//" + uri;
        }
      }
      const authorityMatch = uri.match(AUTHORITY_PREFIX);
      if (authorityMatch !== null && authorityMatch[1].indexOf("\\") !== -1) {
        parsed2.error = "URI authority must not contain a literal backslash.";
        malformedAuthorityOrPort = true;
      }
      const introducerMatch = uri.match(AUTHORITY_INTRODUCER_REGION);
      if (introducerMatch !== null) {
        const region = introducerMatch[1];
        const normalizedRegion = region.replace(/[\t\n\r]/g, "");
        if (normalizedRegion.length >= 2) {
          if (normalizedRegion.slice(0, 2) !== "//") {
            parsed2.error = parsed2.error || "URI authority must not contain a literal backslash.";
            malformedAuthorityOrPort = true;
          } else if (region.length !== normalizedRegion.length) {
            parsed2.error = parsed2.error || "URI authority introducer must not contain whitespace.";
            malformedAuthorityOrPort = true;
          }
        }
      }
      const matches = uri.match(URI_PARSE);
      if (matches) {
        parsed2.scheme = matches[1];
        parsed2.userinfo = matches[3];
        parsed2.host = matches[4];
        parsed2.port = parseInt(matches[5], 10);
        parsed2.path = matches[6] || "";
        parsed2.query = matches[7];
        parsed2.fragment = matches[8];
        if (parsed2.scheme !== void 0) {
          if (VALID_SCHEME.test(parsed2.scheme)) {
            parsed2.scheme = parsed2.scheme.toLowerCase();
          } else {
            parsed2.error = parsed2.error || MALFORMED_SCHEME_ERROR;
            malformedScheme = true;
          }
        }
        malformedPercentEncoding = hasMalformedComponentPercentEncoding(matches);
        if (malformedPercentEncoding) {
          parsed2.error = parsed2.error || "URI contains malformed percent-encoding.";
        }
        if (isNaN(parsed2.port)) {
          parsed2.port = matches[5];
        }
        const parseError2 = getParseError(parsed2, matches);
        if (parseError2 !== void 0) {
          parsed2.error = parsed2.error || parseError2;
          malformedAuthorityOrPort = true;
        }
        if (parsed2.host) {
          const ipv4result = isIPv4(parsed2.host);
          if (ipv4result === false) {
            const bracketedIPLiteral = isIPLiteral(parsed2.host);
            const hasIPLiteralBracket = parsed2.host.indexOf("[") !== -1 || parsed2.host.indexOf("]") !== -1;
            const ipv6result = normalizeIPv6(parsed2.host);
            isIP = ipv6result.isIPV6 || ipv6result.isIPVFuture === true;
            malformedIPLiteral = hasIPLiteralBracket && (!bracketedIPLiteral || ipv6result.error === true);
            parsed2.host = isIP ? ipv6result.host : ipv6result.host.toLowerCase();
            if (malformedIPLiteral) {
              parsed2.error = parsed2.error || MALFORMED_HOST_ERROR;
              malformedAuthorityOrPort = true;
            }
          } else {
            isIP = true;
          }
        }
        if (parsed2.scheme === void 0 && parsed2.userinfo === void 0 && parsed2.host === void 0 && parsed2.port === void 0 && parsed2.query === void 0 && !parsed2.path) {
          parsed2.reference = "same-document";
        } else if (parsed2.scheme === void 0) {
          parsed2.reference = "relative";
        } else if (parsed2.fragment === void 0) {
          parsed2.reference = "absolute";
        } else {
          parsed2.reference = "uri";
        }
        if (options.reference && options.reference !== "suffix" && options.reference !== parsed2.reference) {
          parsed2.error = parsed2.error || "URI is not a " + options.reference + " reference.";
        }
        const schemeHandler = getSchemeHandler(options.scheme || parsed2.scheme);
        if (!malformedIPLiteral) {
          malformedHost = canonicalizeHost(parsed2, options, schemeHandler, isIP);
        }
        if (uri.indexOf("%") !== -1 && parsed2.host !== void 0 && !malformedIPLiteral) {
          let host = isIP ? parsed2.host : normalizePercentEncoding(parsed2.host, true);
          if (!isIP) {
            host = normalizePercentEncoding(host.toLowerCase());
          }
          parsed2.host = isIP || options.scheme !== "null" ? reescapeHostDelimiters(host, isIP) : host;
        }
        if (!schemeHandler || schemeHandler && !schemeHandler.skipNormalize) {
          if (parsed2.path) {
            parsed2.path = normalizePathEncoding(parsed2.path);
          }
          if (parsed2.query) {
            parsed2.query = normalizeQueryFragmentEncoding(parsed2.query);
          }
          if (parsed2.fragment) {
            parsed2.fragment = normalizeQueryFragmentEncoding(parsed2.fragment);
          }
        }
        if (schemeHandler && schemeHandler.parse) {
          schemeHandler.parse(parsed2, options);
          if (schemeHandler === SCHEMES.urn && parsed2.nid === void 0) {
            malformedSchemeSpecific = true;
          }
        }
      } else {
        parsed2.error = parsed2.error || "URI can not be parsed.";
      }
      return { parsed: parsed2, malformedAuthorityOrPort, malformedPercentEncoding, malformedSchemeSpecific, malformedHost, malformedScheme };
    }
    function parse(uri, opts) {
      return parseWithStatus(uri, opts).parsed;
    }
    function normalizeString(uri, opts) {
      return normalizeStringWithStatus(uri, opts).normalized;
    }
    function normalizeStringWithStatus(uri, opts) {
      const { parsed: parsed2, malformedAuthorityOrPort, malformedPercentEncoding, malformedSchemeSpecific, malformedHost, malformedScheme } = parseWithStatus(uri, opts);
      return {
        normalized: malformedAuthorityOrPort || malformedPercentEncoding || malformedSchemeSpecific || malformedHost || malformedScheme ? uri : serialize(parsed2, opts),
        malformedAuthorityOrPort,
        malformedPercentEncoding,
        malformedSchemeSpecific,
        malformedHost,
        malformedScheme
      };
    }
    function normalizeComparableURI(uri, opts) {
      if (typeof uri !== "string" && typeof uri !== "object") {
        return void 0;
      }
      let value;
      try {
        value = typeof uri === "string" ? uri : serialize(uri, opts);
      } catch {
        return void 0;
      }
      const { normalized, malformedAuthorityOrPort, malformedPercentEncoding, malformedSchemeSpecific, malformedHost, malformedScheme } = normalizeStringWithStatus(value, opts);
      return malformedAuthorityOrPort || malformedPercentEncoding || malformedSchemeSpecific || malformedHost || malformedScheme ? void 0 : normalized;
    }
    var fastUri = {
      SCHEMES,
      normalize,
      resolve: resolve2,
      resolveComponent,
      equal,
      serialize,
      parse
    };
    module.exports = fastUri;
    module.exports.default = fastUri;
    module.exports.fastUri = fastUri;
  }
});

// ../../work/main/node_modules/ajv/dist/runtime/uri.js
var require_uri = __commonJS({
  "../../work/main/node_modules/ajv/dist/runtime/uri.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var uri = require_fast_uri();
    uri.code = 'require("ajv/dist/runtime/uri").default';
    exports.default = uri;
  }
});

// ../../work/main/node_modules/ajv/dist/core.js
var require_core = __commonJS({
  "../../work/main/node_modules/ajv/dist/core.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.CodeGen = exports.Name = exports.nil = exports.stringify = exports.str = exports._ = exports.KeywordCxt = void 0;
    var validate_1 = require_validate();
    Object.defineProperty(exports, "KeywordCxt", { enumerable: true, get: function() {
      return validate_1.KeywordCxt;
    } });
    var codegen_1 = require_codegen();
    Object.defineProperty(exports, "_", { enumerable: true, get: function() {
      return codegen_1._;
    } });
    Object.defineProperty(exports, "str", { enumerable: true, get: function() {
      return codegen_1.str;
    } });
    Object.defineProperty(exports, "stringify", { enumerable: true, get: function() {
      return codegen_1.stringify;
    } });
    Object.defineProperty(exports, "nil", { enumerable: true, get: function() {
      return codegen_1.nil;
    } });
    Object.defineProperty(exports, "Name", { enumerable: true, get: function() {
      return codegen_1.Name;
    } });
    Object.defineProperty(exports, "CodeGen", { enumerable: true, get: function() {
      return codegen_1.CodeGen;
    } });
    var validation_error_1 = require_validation_error();
    var ref_error_1 = require_ref_error();
    var rules_1 = require_rules();
    var compile_1 = require_compile();
    var codegen_2 = require_codegen();
    var resolve_1 = require_resolve();
    var dataType_1 = require_dataType();
    var util_1 = require_util();
    var $dataRefSchema = require_data();
    var uri_1 = require_uri();
    var defaultRegExp = (str2, flags) => new RegExp(str2, flags);
    defaultRegExp.code = "new RegExp";
    var META_IGNORE_OPTIONS = ["removeAdditional", "useDefaults", "coerceTypes"];
    var EXT_SCOPE_NAMES = /* @__PURE__ */ new Set([
      "validate",
      "serialize",
      "parse",
      "wrapper",
      "root",
      "schema",
      "keyword",
      "pattern",
      "formats",
      "validate$data",
      "func",
      "obj",
      "Error"
    ]);
    var removedOptions = {
      errorDataPath: "",
      format: "`validateFormats: false` can be used instead.",
      nullable: '"nullable" keyword is supported by default.',
      jsonPointers: "Deprecated jsPropertySyntax can be used instead.",
      extendRefs: "Deprecated ignoreKeywordsWithRef can be used instead.",
      missingRefs: "Pass empty schema with $id that should be ignored to ajv.addSchema.",
      processCode: "Use option `code: {process: (code, schemaEnv: object) => string}`",
      sourceCode: "Use option `code: {source: true}`",
      strictDefaults: "It is default now, see option `strict`.",
      strictKeywords: "It is default now, see option `strict`.",
      uniqueItems: '"uniqueItems" keyword is always validated.',
      unknownFormats: "Disable strict mode or pass `true` to `ajv.addFormat` (or `formats` option).",
      cache: "Map is used as cache, schema object as key.",
      serialize: "Map is used as cache, schema object as key.",
      ajvErrors: "It is default now."
    };
    var deprecatedOptions = {
      ignoreKeywordsWithRef: "",
      jsPropertySyntax: "",
      unicode: '"minLength"/"maxLength" account for unicode characters by default.'
    };
    var MAX_EXPRESSION = 200;
    function requiredOptions(o) {
      var _a, _b, _c, _d, _e, _f, _g, _h, _j, _k, _l, _m, _o, _p, _q, _r, _s, _t, _u, _v, _w, _x, _y, _z, _0;
      const s = o.strict;
      const _optz = (_a = o.code) === null || _a === void 0 ? void 0 : _a.optimize;
      const optimize = _optz === true || _optz === void 0 ? 1 : _optz || 0;
      const regExp = (_c = (_b = o.code) === null || _b === void 0 ? void 0 : _b.regExp) !== null && _c !== void 0 ? _c : defaultRegExp;
      const uriResolver = (_d = o.uriResolver) !== null && _d !== void 0 ? _d : uri_1.default;
      return {
        strictSchema: (_f = (_e = o.strictSchema) !== null && _e !== void 0 ? _e : s) !== null && _f !== void 0 ? _f : true,
        strictNumbers: (_h = (_g = o.strictNumbers) !== null && _g !== void 0 ? _g : s) !== null && _h !== void 0 ? _h : true,
        strictTypes: (_k = (_j = o.strictTypes) !== null && _j !== void 0 ? _j : s) !== null && _k !== void 0 ? _k : "log",
        strictTuples: (_m = (_l = o.strictTuples) !== null && _l !== void 0 ? _l : s) !== null && _m !== void 0 ? _m : "log",
        strictRequired: (_p = (_o = o.strictRequired) !== null && _o !== void 0 ? _o : s) !== null && _p !== void 0 ? _p : false,
        code: o.code ? { ...o.code, optimize, regExp } : { optimize, regExp },
        loopRequired: (_q = o.loopRequired) !== null && _q !== void 0 ? _q : MAX_EXPRESSION,
        loopEnum: (_r = o.loopEnum) !== null && _r !== void 0 ? _r : MAX_EXPRESSION,
        meta: (_s = o.meta) !== null && _s !== void 0 ? _s : true,
        messages: (_t = o.messages) !== null && _t !== void 0 ? _t : true,
        inlineRefs: (_u = o.inlineRefs) !== null && _u !== void 0 ? _u : true,
        schemaId: (_v = o.schemaId) !== null && _v !== void 0 ? _v : "$id",
        addUsedSchema: (_w = o.addUsedSchema) !== null && _w !== void 0 ? _w : true,
        validateSchema: (_x = o.validateSchema) !== null && _x !== void 0 ? _x : true,
        validateFormats: (_y = o.validateFormats) !== null && _y !== void 0 ? _y : true,
        unicodeRegExp: (_z = o.unicodeRegExp) !== null && _z !== void 0 ? _z : true,
        int32range: (_0 = o.int32range) !== null && _0 !== void 0 ? _0 : true,
        uriResolver
      };
    }
    var Ajv2 = class {
      constructor(opts = {}) {
        this.schemas = {};
        this.refs = {};
        this.formats = /* @__PURE__ */ Object.create(null);
        this._compilations = /* @__PURE__ */ new Set();
        this._loading = {};
        this._cache = /* @__PURE__ */ new Map();
        opts = this.opts = { ...opts, ...requiredOptions(opts) };
        const { es5, lines } = this.opts.code;
        this.scope = new codegen_2.ValueScope({ scope: {}, prefixes: EXT_SCOPE_NAMES, es5, lines });
        this.logger = getLogger(opts.logger);
        const formatOpt = opts.validateFormats;
        opts.validateFormats = false;
        this.RULES = (0, rules_1.getRules)();
        checkOptions.call(this, removedOptions, opts, "NOT SUPPORTED");
        checkOptions.call(this, deprecatedOptions, opts, "DEPRECATED", "warn");
        this._metaOpts = getMetaSchemaOptions.call(this);
        if (opts.formats)
          addInitialFormats.call(this);
        this._addVocabularies();
        this._addDefaultMetaSchema();
        if (opts.keywords)
          addInitialKeywords.call(this, opts.keywords);
        if (typeof opts.meta == "object")
          this.addMetaSchema(opts.meta);
        addInitialSchemas.call(this);
        opts.validateFormats = formatOpt;
      }
      _addVocabularies() {
        this.addKeyword("$async");
      }
      _addDefaultMetaSchema() {
        const { $data, meta: meta2, schemaId } = this.opts;
        let _dataRefSchema = $dataRefSchema;
        if (schemaId === "id") {
          _dataRefSchema = { ...$dataRefSchema };
          _dataRefSchema.id = _dataRefSchema.$id;
          delete _dataRefSchema.$id;
        }
        if (meta2 && $data)
          this.addMetaSchema(_dataRefSchema, _dataRefSchema[schemaId], false);
      }
      defaultMeta() {
        const { meta: meta2, schemaId } = this.opts;
        return this.opts.defaultMeta = typeof meta2 == "object" ? meta2[schemaId] || meta2 : void 0;
      }
      validate(schemaKeyRef, data) {
        let v;
        if (typeof schemaKeyRef == "string") {
          v = this.getSchema(schemaKeyRef);
          if (!v)
            throw new Error(`no schema with key or ref "${schemaKeyRef}"`);
        } else {
          v = this.compile(schemaKeyRef);
        }
        const valid = v(data);
        if (!("$async" in v))
          this.errors = v.errors;
        return valid;
      }
      compile(schema2, _meta) {
        const sch = this._addSchema(schema2, _meta);
        return sch.validate || this._compileSchemaEnv(sch);
      }
      compileAsync(schema2, meta2) {
        if (typeof this.opts.loadSchema != "function") {
          throw new Error("options.loadSchema should be a function");
        }
        const { loadSchema } = this.opts;
        return runCompileAsync.call(this, schema2, meta2);
        async function runCompileAsync(_schema, _meta) {
          await loadMetaSchema.call(this, _schema.$schema);
          const sch = this._addSchema(_schema, _meta);
          return sch.validate || _compileAsync.call(this, sch);
        }
        async function loadMetaSchema($ref) {
          if ($ref && !this.getSchema($ref)) {
            await runCompileAsync.call(this, { $ref }, true);
          }
        }
        async function _compileAsync(sch) {
          try {
            return this._compileSchemaEnv(sch);
          } catch (e) {
            if (!(e instanceof ref_error_1.default))
              throw e;
            checkLoaded.call(this, e);
            await loadMissingSchema.call(this, e.missingSchema);
            return _compileAsync.call(this, sch);
          }
        }
        function checkLoaded({ missingSchema: ref, missingRef }) {
          if (this.refs[ref]) {
            throw new Error(`AnySchema ${ref} is loaded but ${missingRef} cannot be resolved`);
          }
        }
        async function loadMissingSchema(ref) {
          const _schema = await _loadSchema.call(this, ref);
          if (!this.refs[ref])
            await loadMetaSchema.call(this, _schema.$schema);
          if (!this.refs[ref])
            this.addSchema(_schema, ref, meta2);
        }
        async function _loadSchema(ref) {
          const p = this._loading[ref];
          if (p)
            return p;
          try {
            return await (this._loading[ref] = loadSchema(ref));
          } finally {
            delete this._loading[ref];
          }
        }
      }
      // Adds schema to the instance
      addSchema(schema2, key, _meta, _validateSchema = this.opts.validateSchema) {
        if (Array.isArray(schema2)) {
          for (const sch of schema2)
            this.addSchema(sch, void 0, _meta, _validateSchema);
          return this;
        }
        let id;
        if (typeof schema2 === "object") {
          const { schemaId } = this.opts;
          id = schema2[schemaId];
          if (id !== void 0 && typeof id != "string") {
            throw new Error(`schema ${schemaId} must be string`);
          }
        }
        key = (0, resolve_1.normalizeId)(key || id);
        this._checkUnique(key);
        this.schemas[key] = this._addSchema(schema2, _meta, key, _validateSchema, true);
        return this;
      }
      // Add schema that will be used to validate other schemas
      // options in META_IGNORE_OPTIONS are alway set to false
      addMetaSchema(schema2, key, _validateSchema = this.opts.validateSchema) {
        this.addSchema(schema2, key, true, _validateSchema);
        return this;
      }
      //  Validate schema against its meta-schema
      validateSchema(schema2, throwOrLogError) {
        if (typeof schema2 == "boolean")
          return true;
        let $schema;
        $schema = schema2.$schema;
        if ($schema !== void 0 && typeof $schema != "string") {
          throw new Error("$schema must be a string");
        }
        $schema = $schema || this.opts.defaultMeta || this.defaultMeta();
        if (!$schema) {
          this.logger.warn("meta-schema not available");
          this.errors = null;
          return true;
        }
        const valid = this.validate($schema, schema2);
        if (!valid && throwOrLogError) {
          const message = "schema is invalid: " + this.errorsText();
          if (this.opts.validateSchema === "log")
            this.logger.error(message);
          else
            throw new Error(message);
        }
        return valid;
      }
      // Get compiled schema by `key` or `ref`.
      // (`key` that was passed to `addSchema` or full schema reference - `schema.$id` or resolved id)
      getSchema(keyRef) {
        let sch;
        while (typeof (sch = getSchEnv.call(this, keyRef)) == "string")
          keyRef = sch;
        if (sch === void 0) {
          const { schemaId } = this.opts;
          const root = new compile_1.SchemaEnv({ schema: {}, schemaId });
          sch = compile_1.resolveSchema.call(this, root, keyRef);
          if (!sch)
            return;
          this.refs[keyRef] = sch;
        }
        return sch.validate || this._compileSchemaEnv(sch);
      }
      // Remove cached schema(s).
      // If no parameter is passed all schemas but meta-schemas are removed.
      // If RegExp is passed all schemas with key/id matching pattern but meta-schemas are removed.
      // Even if schema is referenced by other schemas it still can be removed as other schemas have local references.
      removeSchema(schemaKeyRef) {
        if (schemaKeyRef instanceof RegExp) {
          this._removeAllSchemas(this.schemas, schemaKeyRef);
          this._removeAllSchemas(this.refs, schemaKeyRef);
          return this;
        }
        switch (typeof schemaKeyRef) {
          case "undefined":
            this._removeAllSchemas(this.schemas);
            this._removeAllSchemas(this.refs);
            this._cache.clear();
            return this;
          case "string": {
            const sch = getSchEnv.call(this, schemaKeyRef);
            if (typeof sch == "object")
              this._cache.delete(sch.schema);
            delete this.schemas[schemaKeyRef];
            delete this.refs[schemaKeyRef];
            return this;
          }
          case "object": {
            const cacheKey = schemaKeyRef;
            this._cache.delete(cacheKey);
            let id = schemaKeyRef[this.opts.schemaId];
            if (id) {
              id = (0, resolve_1.normalizeId)(id);
              delete this.schemas[id];
              delete this.refs[id];
            }
            return this;
          }
          default:
            throw new Error("ajv.removeSchema: invalid parameter");
        }
      }
      // add "vocabulary" - a collection of keywords
      addVocabulary(definitions) {
        for (const def of definitions)
          this.addKeyword(def);
        return this;
      }
      addKeyword(kwdOrDef, def) {
        let keyword;
        if (typeof kwdOrDef == "string") {
          keyword = kwdOrDef;
          if (typeof def == "object") {
            this.logger.warn("these parameters are deprecated, see docs for addKeyword");
            def.keyword = keyword;
          }
        } else if (typeof kwdOrDef == "object" && def === void 0) {
          def = kwdOrDef;
          keyword = def.keyword;
          if (Array.isArray(keyword) && !keyword.length) {
            throw new Error("addKeywords: keyword must be string or non-empty array");
          }
        } else {
          throw new Error("invalid addKeywords parameters");
        }
        checkKeyword.call(this, keyword, def);
        if (!def) {
          (0, util_1.eachItem)(keyword, (kwd) => addRule.call(this, kwd));
          return this;
        }
        keywordMetaschema.call(this, def);
        const definition = {
          ...def,
          type: (0, dataType_1.getJSONTypes)(def.type),
          schemaType: (0, dataType_1.getJSONTypes)(def.schemaType)
        };
        (0, util_1.eachItem)(keyword, definition.type.length === 0 ? (k) => addRule.call(this, k, definition) : (k) => definition.type.forEach((t) => addRule.call(this, k, definition, t)));
        return this;
      }
      getKeyword(keyword) {
        const rule = this.RULES.all[keyword];
        return typeof rule == "object" ? rule.definition : !!rule;
      }
      // Remove keyword
      removeKeyword(keyword) {
        const { RULES: RULES2 } = this;
        delete RULES2.keywords[keyword];
        delete RULES2.all[keyword];
        for (const group of RULES2.rules) {
          const i = group.rules.findIndex((rule) => rule.keyword === keyword);
          if (i >= 0)
            group.rules.splice(i, 1);
        }
        return this;
      }
      // Add format
      addFormat(name, format) {
        if (typeof format == "string")
          format = new RegExp(format);
        this.formats[name] = format;
        return this;
      }
      errorsText(errors = this.errors, { separator = ", ", dataVar = "data" } = {}) {
        if (!errors || errors.length === 0)
          return "No errors";
        return errors.map((e) => `${dataVar}${e.instancePath} ${e.message}`).reduce((text, msg) => text + separator + msg);
      }
      $dataMetaSchema(metaSchema, keywordsJsonPointers) {
        const rules = this.RULES.all;
        metaSchema = JSON.parse(JSON.stringify(metaSchema));
        for (const jsonPointer of keywordsJsonPointers) {
          const segments = jsonPointer.split("/").slice(1);
          let keywords = metaSchema;
          for (const seg of segments)
            keywords = keywords[seg];
          for (const key in rules) {
            const rule = rules[key];
            if (typeof rule != "object")
              continue;
            const { $data } = rule.definition;
            const schema2 = keywords[key];
            if ($data && schema2)
              keywords[key] = schemaOrData(schema2);
          }
        }
        return metaSchema;
      }
      _removeAllSchemas(schemas, regex) {
        for (const keyRef in schemas) {
          const sch = schemas[keyRef];
          if (!regex || regex.test(keyRef)) {
            if (typeof sch == "string") {
              delete schemas[keyRef];
            } else if (sch && !sch.meta) {
              this._cache.delete(sch.schema);
              delete schemas[keyRef];
            }
          }
        }
      }
      _addSchema(schema2, meta2, baseId, validateSchema = this.opts.validateSchema, addSchema = this.opts.addUsedSchema) {
        let id;
        const { schemaId } = this.opts;
        if (typeof schema2 == "object") {
          id = schema2[schemaId];
        } else {
          if (this.opts.jtd)
            throw new Error("schema must be object");
          else if (typeof schema2 != "boolean")
            throw new Error("schema must be object or boolean");
        }
        let sch = this._cache.get(schema2);
        if (sch !== void 0)
          return sch;
        baseId = (0, resolve_1.normalizeId)(id || baseId);
        const localRefs = resolve_1.getSchemaRefs.call(this, schema2, baseId);
        sch = new compile_1.SchemaEnv({ schema: schema2, schemaId, meta: meta2, baseId, localRefs });
        this._cache.set(sch.schema, sch);
        if (addSchema && !baseId.startsWith("#")) {
          if (baseId)
            this._checkUnique(baseId);
          this.refs[baseId] = sch;
        }
        if (validateSchema)
          this.validateSchema(schema2, true);
        return sch;
      }
      _checkUnique(id) {
        if (this.schemas[id] || this.refs[id]) {
          throw new Error(`schema with key or id "${id}" already exists`);
        }
      }
      _compileSchemaEnv(sch) {
        if (sch.meta)
          this._compileMetaSchema(sch);
        else
          compile_1.compileSchema.call(this, sch);
        if (!sch.validate)
          throw new Error("ajv implementation error");
        return sch.validate;
      }
      _compileMetaSchema(sch) {
        const currentOpts = this.opts;
        this.opts = this._metaOpts;
        try {
          compile_1.compileSchema.call(this, sch);
        } finally {
          this.opts = currentOpts;
        }
      }
    };
    Ajv2.ValidationError = validation_error_1.default;
    Ajv2.MissingRefError = ref_error_1.default;
    exports.default = Ajv2;
    function checkOptions(checkOpts, options, msg, log = "error") {
      for (const key in checkOpts) {
        const opt = key;
        if (opt in options)
          this.logger[log](`${msg}: option ${key}. ${checkOpts[opt]}`);
      }
    }
    function getSchEnv(keyRef) {
      keyRef = (0, resolve_1.normalizeId)(keyRef);
      return this.schemas[keyRef] || this.refs[keyRef];
    }
    function addInitialSchemas() {
      const optsSchemas = this.opts.schemas;
      if (!optsSchemas)
        return;
      if (Array.isArray(optsSchemas))
        this.addSchema(optsSchemas);
      else
        for (const key in optsSchemas)
          this.addSchema(optsSchemas[key], key);
    }
    function addInitialFormats() {
      for (const name in this.opts.formats) {
        const format = this.opts.formats[name];
        if (format)
          this.addFormat(name, format);
      }
    }
    function addInitialKeywords(defs) {
      if (Array.isArray(defs)) {
        this.addVocabulary(defs);
        return;
      }
      this.logger.warn("keywords option as map is deprecated, pass array");
      for (const keyword in defs) {
        const def = defs[keyword];
        if (!def.keyword)
          def.keyword = keyword;
        this.addKeyword(def);
      }
    }
    function getMetaSchemaOptions() {
      const metaOpts = { ...this.opts };
      for (const opt of META_IGNORE_OPTIONS)
        delete metaOpts[opt];
      return metaOpts;
    }
    var noLogs = { log() {
    }, warn() {
    }, error() {
    } };
    function getLogger(logger) {
      if (logger === false)
        return noLogs;
      if (logger === void 0)
        return console;
      if (logger.log && logger.warn && logger.error)
        return logger;
      throw new Error("logger must implement log, warn and error methods");
    }
    var KEYWORD_NAME = /^[a-z_$][a-z0-9_$:-]*$/i;
    function checkKeyword(keyword, def) {
      const { RULES: RULES2 } = this;
      (0, util_1.eachItem)(keyword, (kwd) => {
        if (RULES2.keywords[kwd])
          throw new Error(`Keyword ${kwd} is already defined`);
        if (!KEYWORD_NAME.test(kwd))
          throw new Error(`Keyword ${kwd} has invalid name`);
      });
      if (!def)
        return;
      if (def.$data && !("code" in def || "validate" in def)) {
        throw new Error('$data keyword must have "code" or "validate" function');
      }
    }
    function addRule(keyword, definition, dataType) {
      var _a;
      const post = definition === null || definition === void 0 ? void 0 : definition.post;
      if (dataType && post)
        throw new Error('keyword with "post" flag cannot have "type"');
      const { RULES: RULES2 } = this;
      let ruleGroup = post ? RULES2.post : RULES2.rules.find(({ type: t }) => t === dataType);
      if (!ruleGroup) {
        ruleGroup = { type: dataType, rules: [] };
        RULES2.rules.push(ruleGroup);
      }
      RULES2.keywords[keyword] = true;
      if (!definition)
        return;
      const rule = {
        keyword,
        definition: {
          ...definition,
          type: (0, dataType_1.getJSONTypes)(definition.type),
          schemaType: (0, dataType_1.getJSONTypes)(definition.schemaType)
        }
      };
      if (definition.before)
        addBeforeRule.call(this, ruleGroup, rule, definition.before);
      else
        ruleGroup.rules.push(rule);
      RULES2.all[keyword] = rule;
      (_a = definition.implements) === null || _a === void 0 ? void 0 : _a.forEach((kwd) => this.addKeyword(kwd));
    }
    function addBeforeRule(ruleGroup, rule, before) {
      const i = ruleGroup.rules.findIndex((_rule) => _rule.keyword === before);
      if (i >= 0) {
        ruleGroup.rules.splice(i, 0, rule);
      } else {
        ruleGroup.rules.push(rule);
        this.logger.warn(`rule ${before} is not defined`);
      }
    }
    function keywordMetaschema(def) {
      let { metaSchema } = def;
      if (metaSchema === void 0)
        return;
      if (def.$data && this.opts.$data)
        metaSchema = schemaOrData(metaSchema);
      def.validateSchema = this.compile(metaSchema, true);
    }
    var $dataRef = {
      $ref: "https://raw.githubusercontent.com/ajv-validator/ajv/master/lib/refs/data.json#"
    };
    function schemaOrData(schema2) {
      return { anyOf: [schema2, $dataRef] };
    }
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/core/id.js
var require_id = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/core/id.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var def = {
      keyword: "id",
      code() {
        throw new Error('NOT SUPPORTED: keyword "id", use "$id" for schema ID');
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/core/ref.js
var require_ref = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/core/ref.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.callRef = exports.getValidate = void 0;
    var ref_error_1 = require_ref_error();
    var code_1 = require_code2();
    var codegen_1 = require_codegen();
    var names_1 = require_names();
    var compile_1 = require_compile();
    var util_1 = require_util();
    var def = {
      keyword: "$ref",
      schemaType: "string",
      code(cxt) {
        const { gen, schema: $ref, it } = cxt;
        const { baseId, schemaEnv: env, validateName, opts, self } = it;
        const { root } = env;
        if (($ref === "#" || $ref === "#/") && baseId === root.baseId)
          return callRootRef();
        const schOrEnv = compile_1.resolveRef.call(self, root, baseId, $ref);
        if (schOrEnv === void 0)
          throw new ref_error_1.default(it.opts.uriResolver, baseId, $ref);
        if (schOrEnv instanceof compile_1.SchemaEnv)
          return callValidate(schOrEnv);
        return inlineRefSchema(schOrEnv);
        function callRootRef() {
          if (env === root)
            return callRef(cxt, validateName, env, env.$async);
          const rootName = gen.scopeValue("root", { ref: root });
          return callRef(cxt, (0, codegen_1._)`${rootName}.validate`, root, root.$async);
        }
        function callValidate(sch) {
          const v = getValidate(cxt, sch);
          callRef(cxt, v, sch, sch.$async);
        }
        function inlineRefSchema(sch) {
          const schName = gen.scopeValue("schema", opts.code.source === true ? { ref: sch, code: (0, codegen_1.stringify)(sch) } : { ref: sch });
          const valid = gen.name("valid");
          const schCxt = cxt.subschema({
            schema: sch,
            dataTypes: [],
            schemaPath: codegen_1.nil,
            topSchemaRef: schName,
            errSchemaPath: $ref
          }, valid);
          cxt.mergeEvaluated(schCxt);
          cxt.ok(valid);
        }
      }
    };
    function getValidate(cxt, sch) {
      const { gen } = cxt;
      return sch.validate ? gen.scopeValue("validate", { ref: sch.validate }) : (0, codegen_1._)`${gen.scopeValue("wrapper", { ref: sch })}.validate`;
    }
    exports.getValidate = getValidate;
    function callRef(cxt, v, sch, $async) {
      const { gen, it } = cxt;
      const { allErrors, schemaEnv: env, opts } = it;
      const passCxt = opts.passContext ? names_1.default.this : codegen_1.nil;
      if ($async)
        callAsyncRef();
      else
        callSyncRef();
      function callAsyncRef() {
        if (!env.$async)
          throw new Error("async schema referenced by sync schema");
        const valid = gen.let("valid");
        gen.try(() => {
          gen.code((0, codegen_1._)`await ${(0, code_1.callValidateCode)(cxt, v, passCxt)}`);
          addEvaluatedFrom(v);
          if (!allErrors)
            gen.assign(valid, true);
        }, (e) => {
          gen.if((0, codegen_1._)`!(${e} instanceof ${it.ValidationError})`, () => gen.throw(e));
          addErrorsFrom(e);
          if (!allErrors)
            gen.assign(valid, false);
        });
        cxt.ok(valid);
      }
      function callSyncRef() {
        cxt.result((0, code_1.callValidateCode)(cxt, v, passCxt), () => addEvaluatedFrom(v), () => addErrorsFrom(v));
      }
      function addErrorsFrom(source) {
        const errs = (0, codegen_1._)`${source}.errors`;
        gen.assign(names_1.default.vErrors, (0, codegen_1._)`${names_1.default.vErrors} === null ? ${errs} : ${names_1.default.vErrors}.concat(${errs})`);
        gen.assign(names_1.default.errors, (0, codegen_1._)`${names_1.default.vErrors}.length`);
      }
      function addEvaluatedFrom(source) {
        var _a;
        if (!it.opts.unevaluated)
          return;
        const schEvaluated = (_a = sch === null || sch === void 0 ? void 0 : sch.validate) === null || _a === void 0 ? void 0 : _a.evaluated;
        if (it.props !== true) {
          if (schEvaluated && !schEvaluated.dynamicProps) {
            if (schEvaluated.props !== void 0) {
              it.props = util_1.mergeEvaluated.props(gen, schEvaluated.props, it.props);
            }
          } else {
            const props = gen.var("props", (0, codegen_1._)`${source}.evaluated.props`);
            it.props = util_1.mergeEvaluated.props(gen, props, it.props, codegen_1.Name);
          }
        }
        if (it.items !== true) {
          if (schEvaluated && !schEvaluated.dynamicItems) {
            if (schEvaluated.items !== void 0) {
              it.items = util_1.mergeEvaluated.items(gen, schEvaluated.items, it.items);
            }
          } else {
            const items = gen.var("items", (0, codegen_1._)`${source}.evaluated.items`);
            it.items = util_1.mergeEvaluated.items(gen, items, it.items, codegen_1.Name);
          }
        }
      }
    }
    exports.callRef = callRef;
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/core/index.js
var require_core2 = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/core/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var id_1 = require_id();
    var ref_1 = require_ref();
    var core2 = [
      "$schema",
      "$id",
      "$defs",
      "$vocabulary",
      { keyword: "$comment" },
      "definitions",
      id_1.default,
      ref_1.default
    ];
    exports.default = core2;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/limitNumber.js
var require_limitNumber = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/limitNumber.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var ops = codegen_1.operators;
    var KWDs = {
      maximum: { okStr: "<=", ok: ops.LTE, fail: ops.GT },
      minimum: { okStr: ">=", ok: ops.GTE, fail: ops.LT },
      exclusiveMaximum: { okStr: "<", ok: ops.LT, fail: ops.GTE },
      exclusiveMinimum: { okStr: ">", ok: ops.GT, fail: ops.LTE }
    };
    var error = {
      message: ({ keyword, schemaCode }) => (0, codegen_1.str)`must be ${KWDs[keyword].okStr} ${schemaCode}`,
      params: ({ keyword, schemaCode }) => (0, codegen_1._)`{comparison: ${KWDs[keyword].okStr}, limit: ${schemaCode}}`
    };
    var def = {
      keyword: Object.keys(KWDs),
      type: "number",
      schemaType: "number",
      $data: true,
      error,
      code(cxt) {
        const { keyword, data, schemaCode } = cxt;
        cxt.fail$data((0, codegen_1._)`${data} ${KWDs[keyword].fail} ${schemaCode} || isNaN(${data})`);
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/multipleOf.js
var require_multipleOf = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/multipleOf.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var error = {
      message: ({ schemaCode }) => (0, codegen_1.str)`must be multiple of ${schemaCode}`,
      params: ({ schemaCode }) => (0, codegen_1._)`{multipleOf: ${schemaCode}}`
    };
    var def = {
      keyword: "multipleOf",
      type: "number",
      schemaType: "number",
      $data: true,
      error,
      code(cxt) {
        const { gen, data, schemaCode, it } = cxt;
        const prec = it.opts.multipleOfPrecision;
        const res = gen.let("res");
        const invalid = prec ? (0, codegen_1._)`Math.abs(Math.round(${res}) - ${res}) > 1e-${prec}` : (0, codegen_1._)`${res} !== parseInt(${res})`;
        cxt.fail$data((0, codegen_1._)`(${schemaCode} === 0 || (${res} = ${data}/${schemaCode}, ${invalid}))`);
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/runtime/ucs2length.js
var require_ucs2length = __commonJS({
  "../../work/main/node_modules/ajv/dist/runtime/ucs2length.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    function ucs2length(str2) {
      const len = str2.length;
      let length = 0;
      let pos = 0;
      let value;
      while (pos < len) {
        length++;
        value = str2.charCodeAt(pos++);
        if (value >= 55296 && value <= 56319 && pos < len) {
          value = str2.charCodeAt(pos);
          if ((value & 64512) === 56320)
            pos++;
        }
      }
      return length;
    }
    exports.default = ucs2length;
    ucs2length.code = 'require("ajv/dist/runtime/ucs2length").default';
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/limitLength.js
var require_limitLength = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/limitLength.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var ucs2length_1 = require_ucs2length();
    var error = {
      message({ keyword, schemaCode }) {
        const comp = keyword === "maxLength" ? "more" : "fewer";
        return (0, codegen_1.str)`must NOT have ${comp} than ${schemaCode} characters`;
      },
      params: ({ schemaCode }) => (0, codegen_1._)`{limit: ${schemaCode}}`
    };
    var def = {
      keyword: ["maxLength", "minLength"],
      type: "string",
      schemaType: "number",
      $data: true,
      error,
      code(cxt) {
        const { keyword, data, schemaCode, it } = cxt;
        const op = keyword === "maxLength" ? codegen_1.operators.GT : codegen_1.operators.LT;
        const len = it.opts.unicode === false ? (0, codegen_1._)`${data}.length` : (0, codegen_1._)`${(0, util_1.useFunc)(cxt.gen, ucs2length_1.default)}(${data})`;
        cxt.fail$data((0, codegen_1._)`${len} ${op} ${schemaCode}`);
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/pattern.js
var require_pattern = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/pattern.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var code_1 = require_code2();
    var util_1 = require_util();
    var codegen_1 = require_codegen();
    var error = {
      message: ({ schemaCode }) => (0, codegen_1.str)`must match pattern "${schemaCode}"`,
      params: ({ schemaCode }) => (0, codegen_1._)`{pattern: ${schemaCode}}`
    };
    var def = {
      keyword: "pattern",
      type: "string",
      schemaType: "string",
      $data: true,
      error,
      code(cxt) {
        const { gen, data, $data, schema: schema2, schemaCode, it } = cxt;
        const u = it.opts.unicodeRegExp ? "u" : "";
        if ($data) {
          const { regExp } = it.opts.code;
          const regExpCode = regExp.code === "new RegExp" ? (0, codegen_1._)`new RegExp` : (0, util_1.useFunc)(gen, regExp);
          const valid = gen.let("valid");
          gen.try(() => gen.assign(valid, (0, codegen_1._)`${regExpCode}(${schemaCode}, ${u}).test(${data})`), () => gen.assign(valid, false));
          cxt.fail$data((0, codegen_1._)`!${valid}`);
        } else {
          const regExp = (0, code_1.usePattern)(cxt, schema2);
          cxt.fail$data((0, codegen_1._)`!${regExp}.test(${data})`);
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/limitProperties.js
var require_limitProperties = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/limitProperties.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var error = {
      message({ keyword, schemaCode }) {
        const comp = keyword === "maxProperties" ? "more" : "fewer";
        return (0, codegen_1.str)`must NOT have ${comp} than ${schemaCode} properties`;
      },
      params: ({ schemaCode }) => (0, codegen_1._)`{limit: ${schemaCode}}`
    };
    var def = {
      keyword: ["maxProperties", "minProperties"],
      type: "object",
      schemaType: "number",
      $data: true,
      error,
      code(cxt) {
        const { keyword, data, schemaCode } = cxt;
        const op = keyword === "maxProperties" ? codegen_1.operators.GT : codegen_1.operators.LT;
        cxt.fail$data((0, codegen_1._)`Object.keys(${data}).length ${op} ${schemaCode}`);
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/required.js
var require_required = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/required.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var code_1 = require_code2();
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var error = {
      message: ({ params: { missingProperty } }) => (0, codegen_1.str)`must have required property '${missingProperty}'`,
      params: ({ params: { missingProperty } }) => (0, codegen_1._)`{missingProperty: ${missingProperty}}`
    };
    var def = {
      keyword: "required",
      type: "object",
      schemaType: "array",
      $data: true,
      error,
      code(cxt) {
        const { gen, schema: schema2, schemaCode, data, $data, it } = cxt;
        const { opts } = it;
        if (!$data && schema2.length === 0)
          return;
        const useLoop = schema2.length >= opts.loopRequired;
        if (it.allErrors)
          allErrorsMode();
        else
          exitOnErrorMode();
        if (opts.strictRequired) {
          const props = cxt.parentSchema.properties;
          const { definedProperties } = cxt.it;
          for (const requiredKey of schema2) {
            if ((props === null || props === void 0 ? void 0 : props[requiredKey]) === void 0 && !definedProperties.has(requiredKey)) {
              const schemaPath = it.schemaEnv.baseId + it.errSchemaPath;
              const msg = `required property "${requiredKey}" is not defined at "${schemaPath}" (strictRequired)`;
              (0, util_1.checkStrictMode)(it, msg, it.opts.strictRequired);
            }
          }
        }
        function allErrorsMode() {
          if (useLoop || $data) {
            cxt.block$data(codegen_1.nil, loopAllRequired);
          } else {
            for (const prop of schema2) {
              (0, code_1.checkReportMissingProp)(cxt, prop);
            }
          }
        }
        function exitOnErrorMode() {
          const missing = gen.let("missing");
          if (useLoop || $data) {
            const valid = gen.let("valid", true);
            cxt.block$data(valid, () => loopUntilMissing(missing, valid));
            cxt.ok(valid);
          } else {
            gen.if((0, code_1.checkMissingProp)(cxt, schema2, missing));
            (0, code_1.reportMissingProp)(cxt, missing);
            gen.else();
          }
        }
        function loopAllRequired() {
          gen.forOf("prop", schemaCode, (prop) => {
            cxt.setParams({ missingProperty: prop });
            gen.if((0, code_1.noPropertyInData)(gen, data, prop, opts.ownProperties), () => cxt.error());
          });
        }
        function loopUntilMissing(missing, valid) {
          cxt.setParams({ missingProperty: missing });
          gen.forOf(missing, schemaCode, () => {
            gen.assign(valid, (0, code_1.propertyInData)(gen, data, missing, opts.ownProperties));
            gen.if((0, codegen_1.not)(valid), () => {
              cxt.error();
              gen.break();
            });
          }, codegen_1.nil);
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/limitItems.js
var require_limitItems = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/limitItems.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var error = {
      message({ keyword, schemaCode }) {
        const comp = keyword === "maxItems" ? "more" : "fewer";
        return (0, codegen_1.str)`must NOT have ${comp} than ${schemaCode} items`;
      },
      params: ({ schemaCode }) => (0, codegen_1._)`{limit: ${schemaCode}}`
    };
    var def = {
      keyword: ["maxItems", "minItems"],
      type: "array",
      schemaType: "number",
      $data: true,
      error,
      code(cxt) {
        const { keyword, data, schemaCode } = cxt;
        const op = keyword === "maxItems" ? codegen_1.operators.GT : codegen_1.operators.LT;
        cxt.fail$data((0, codegen_1._)`${data}.length ${op} ${schemaCode}`);
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/runtime/equal.js
var require_equal = __commonJS({
  "../../work/main/node_modules/ajv/dist/runtime/equal.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var equal = require_fast_deep_equal();
    equal.code = 'require("ajv/dist/runtime/equal").default';
    exports.default = equal;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/uniqueItems.js
var require_uniqueItems = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/uniqueItems.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var dataType_1 = require_dataType();
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var equal_1 = require_equal();
    var error = {
      message: ({ params: { i, j } }) => (0, codegen_1.str)`must NOT have duplicate items (items ## ${j} and ${i} are identical)`,
      params: ({ params: { i, j } }) => (0, codegen_1._)`{i: ${i}, j: ${j}}`
    };
    var def = {
      keyword: "uniqueItems",
      type: "array",
      schemaType: "boolean",
      $data: true,
      error,
      code(cxt) {
        const { gen, data, $data, schema: schema2, parentSchema, schemaCode, it } = cxt;
        if (!$data && !schema2)
          return;
        const valid = gen.let("valid");
        const itemTypes = parentSchema.items ? (0, dataType_1.getSchemaTypes)(parentSchema.items) : [];
        cxt.block$data(valid, validateUniqueItems, (0, codegen_1._)`${schemaCode} === false`);
        cxt.ok(valid);
        function validateUniqueItems() {
          const i = gen.let("i", (0, codegen_1._)`${data}.length`);
          const j = gen.let("j");
          cxt.setParams({ i, j });
          gen.assign(valid, true);
          gen.if((0, codegen_1._)`${i} > 1`, () => (canOptimize() ? loopN : loopN2)(i, j));
        }
        function canOptimize() {
          return itemTypes.length > 0 && !itemTypes.some((t) => t === "object" || t === "array");
        }
        function loopN(i, j) {
          const item = gen.name("item");
          const wrongType = (0, dataType_1.checkDataTypes)(itemTypes, item, it.opts.strictNumbers, dataType_1.DataType.Wrong);
          const indices = gen.const("indices", (0, codegen_1._)`{}`);
          gen.for((0, codegen_1._)`;${i}--;`, () => {
            gen.let(item, (0, codegen_1._)`${data}[${i}]`);
            gen.if(wrongType, (0, codegen_1._)`continue`);
            if (itemTypes.length > 1)
              gen.if((0, codegen_1._)`typeof ${item} == "string"`, (0, codegen_1._)`${item} += "_"`);
            gen.if((0, codegen_1._)`typeof ${indices}[${item}] == "number"`, () => {
              gen.assign(j, (0, codegen_1._)`${indices}[${item}]`);
              cxt.error();
              gen.assign(valid, false).break();
            }).code((0, codegen_1._)`${indices}[${item}] = ${i}`);
          });
        }
        function loopN2(i, j) {
          const eql = (0, util_1.useFunc)(gen, equal_1.default);
          const outer = gen.name("outer");
          gen.label(outer).for((0, codegen_1._)`;${i}--;`, () => gen.for((0, codegen_1._)`${j} = ${i}; ${j}--;`, () => gen.if((0, codegen_1._)`${eql}(${data}[${i}], ${data}[${j}])`, () => {
            cxt.error();
            gen.assign(valid, false).break(outer);
          })));
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/const.js
var require_const = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/const.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var equal_1 = require_equal();
    var error = {
      message: "must be equal to constant",
      params: ({ schemaCode }) => (0, codegen_1._)`{allowedValue: ${schemaCode}}`
    };
    var def = {
      keyword: "const",
      $data: true,
      error,
      code(cxt) {
        const { gen, data, $data, schemaCode, schema: schema2 } = cxt;
        if ($data || schema2 && typeof schema2 == "object") {
          cxt.fail$data((0, codegen_1._)`!${(0, util_1.useFunc)(gen, equal_1.default)}(${data}, ${schemaCode})`);
        } else {
          cxt.fail((0, codegen_1._)`${schema2} !== ${data}`);
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/enum.js
var require_enum = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/enum.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var equal_1 = require_equal();
    var error = {
      message: "must be equal to one of the allowed values",
      params: ({ schemaCode }) => (0, codegen_1._)`{allowedValues: ${schemaCode}}`
    };
    var def = {
      keyword: "enum",
      schemaType: "array",
      $data: true,
      error,
      code(cxt) {
        const { gen, data, $data, schema: schema2, schemaCode, it } = cxt;
        if (!$data && schema2.length === 0)
          throw new Error("enum must have non-empty array");
        const useLoop = schema2.length >= it.opts.loopEnum;
        let eql;
        const getEql = () => eql !== null && eql !== void 0 ? eql : eql = (0, util_1.useFunc)(gen, equal_1.default);
        let valid;
        if (useLoop || $data) {
          valid = gen.let("valid");
          cxt.block$data(valid, loopEnum);
        } else {
          if (!Array.isArray(schema2))
            throw new Error("ajv implementation error");
          const vSchema = gen.const("vSchema", schemaCode);
          valid = (0, codegen_1.or)(...schema2.map((_x, i) => equalCode(vSchema, i)));
        }
        cxt.pass(valid);
        function loopEnum() {
          gen.assign(valid, false);
          gen.forOf("v", schemaCode, (v) => gen.if((0, codegen_1._)`${getEql()}(${data}, ${v})`, () => gen.assign(valid, true).break()));
        }
        function equalCode(vSchema, i) {
          const sch = schema2[i];
          return typeof sch === "object" && sch !== null ? (0, codegen_1._)`${getEql()}(${data}, ${vSchema}[${i}])` : (0, codegen_1._)`${data} === ${sch}`;
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/validation/index.js
var require_validation = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/validation/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var limitNumber_1 = require_limitNumber();
    var multipleOf_1 = require_multipleOf();
    var limitLength_1 = require_limitLength();
    var pattern_1 = require_pattern();
    var limitProperties_1 = require_limitProperties();
    var required_1 = require_required();
    var limitItems_1 = require_limitItems();
    var uniqueItems_1 = require_uniqueItems();
    var const_1 = require_const();
    var enum_1 = require_enum();
    var validation = [
      // number
      limitNumber_1.default,
      multipleOf_1.default,
      // string
      limitLength_1.default,
      pattern_1.default,
      // object
      limitProperties_1.default,
      required_1.default,
      // array
      limitItems_1.default,
      uniqueItems_1.default,
      // any
      { keyword: "type", schemaType: ["string", "array"] },
      { keyword: "nullable", schemaType: "boolean" },
      const_1.default,
      enum_1.default
    ];
    exports.default = validation;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/additionalItems.js
var require_additionalItems = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/additionalItems.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.validateAdditionalItems = void 0;
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var error = {
      message: ({ params: { len } }) => (0, codegen_1.str)`must NOT have more than ${len} items`,
      params: ({ params: { len } }) => (0, codegen_1._)`{limit: ${len}}`
    };
    var def = {
      keyword: "additionalItems",
      type: "array",
      schemaType: ["boolean", "object"],
      before: "uniqueItems",
      error,
      code(cxt) {
        const { parentSchema, it } = cxt;
        const { items } = parentSchema;
        if (!Array.isArray(items)) {
          (0, util_1.checkStrictMode)(it, '"additionalItems" is ignored when "items" is not an array of schemas');
          return;
        }
        validateAdditionalItems(cxt, items);
      }
    };
    function validateAdditionalItems(cxt, items) {
      const { gen, schema: schema2, data, keyword, it } = cxt;
      it.items = true;
      const len = gen.const("len", (0, codegen_1._)`${data}.length`);
      if (schema2 === false) {
        cxt.setParams({ len: items.length });
        cxt.pass((0, codegen_1._)`${len} <= ${items.length}`);
      } else if (typeof schema2 == "object" && !(0, util_1.alwaysValidSchema)(it, schema2)) {
        const valid = gen.var("valid", (0, codegen_1._)`${len} <= ${items.length}`);
        gen.if((0, codegen_1.not)(valid), () => validateItems(valid));
        cxt.ok(valid);
      }
      function validateItems(valid) {
        gen.forRange("i", items.length, len, (i) => {
          cxt.subschema({ keyword, dataProp: i, dataPropType: util_1.Type.Num }, valid);
          if (!it.allErrors)
            gen.if((0, codegen_1.not)(valid), () => gen.break());
        });
      }
    }
    exports.validateAdditionalItems = validateAdditionalItems;
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/items.js
var require_items = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/items.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.validateTuple = void 0;
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var code_1 = require_code2();
    var def = {
      keyword: "items",
      type: "array",
      schemaType: ["object", "array", "boolean"],
      before: "uniqueItems",
      code(cxt) {
        const { schema: schema2, it } = cxt;
        if (Array.isArray(schema2))
          return validateTuple(cxt, "additionalItems", schema2);
        it.items = true;
        if ((0, util_1.alwaysValidSchema)(it, schema2))
          return;
        cxt.ok((0, code_1.validateArray)(cxt));
      }
    };
    function validateTuple(cxt, extraItems, schArr = cxt.schema) {
      const { gen, parentSchema, data, keyword, it } = cxt;
      checkStrictTuple(parentSchema);
      if (it.opts.unevaluated && schArr.length && it.items !== true) {
        it.items = util_1.mergeEvaluated.items(gen, schArr.length, it.items);
      }
      const valid = gen.name("valid");
      const len = gen.const("len", (0, codegen_1._)`${data}.length`);
      schArr.forEach((sch, i) => {
        if ((0, util_1.alwaysValidSchema)(it, sch))
          return;
        gen.if((0, codegen_1._)`${len} > ${i}`, () => cxt.subschema({
          keyword,
          schemaProp: i,
          dataProp: i
        }, valid));
        cxt.ok(valid);
      });
      function checkStrictTuple(sch) {
        const { opts, errSchemaPath } = it;
        const l = schArr.length;
        const fullTuple = l === sch.minItems && (l === sch.maxItems || sch[extraItems] === false);
        if (opts.strictTuples && !fullTuple) {
          const msg = `"${keyword}" is ${l}-tuple, but minItems or maxItems/${extraItems} are not specified or different at path "${errSchemaPath}"`;
          (0, util_1.checkStrictMode)(it, msg, opts.strictTuples);
        }
      }
    }
    exports.validateTuple = validateTuple;
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/prefixItems.js
var require_prefixItems = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/prefixItems.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var items_1 = require_items();
    var def = {
      keyword: "prefixItems",
      type: "array",
      schemaType: ["array"],
      before: "uniqueItems",
      code: (cxt) => (0, items_1.validateTuple)(cxt, "items")
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/items2020.js
var require_items2020 = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/items2020.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var code_1 = require_code2();
    var additionalItems_1 = require_additionalItems();
    var error = {
      message: ({ params: { len } }) => (0, codegen_1.str)`must NOT have more than ${len} items`,
      params: ({ params: { len } }) => (0, codegen_1._)`{limit: ${len}}`
    };
    var def = {
      keyword: "items",
      type: "array",
      schemaType: ["object", "boolean"],
      before: "uniqueItems",
      error,
      code(cxt) {
        const { schema: schema2, parentSchema, it } = cxt;
        const { prefixItems } = parentSchema;
        it.items = true;
        if ((0, util_1.alwaysValidSchema)(it, schema2))
          return;
        if (prefixItems)
          (0, additionalItems_1.validateAdditionalItems)(cxt, prefixItems);
        else
          cxt.ok((0, code_1.validateArray)(cxt));
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/contains.js
var require_contains = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/contains.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var error = {
      message: ({ params: { min, max } }) => max === void 0 ? (0, codegen_1.str)`must contain at least ${min} valid item(s)` : (0, codegen_1.str)`must contain at least ${min} and no more than ${max} valid item(s)`,
      params: ({ params: { min, max } }) => max === void 0 ? (0, codegen_1._)`{minContains: ${min}}` : (0, codegen_1._)`{minContains: ${min}, maxContains: ${max}}`
    };
    var def = {
      keyword: "contains",
      type: "array",
      schemaType: ["object", "boolean"],
      before: "uniqueItems",
      trackErrors: true,
      error,
      code(cxt) {
        const { gen, schema: schema2, parentSchema, data, it } = cxt;
        let min;
        let max;
        const { minContains, maxContains } = parentSchema;
        if (it.opts.next) {
          min = minContains === void 0 ? 1 : minContains;
          max = maxContains;
        } else {
          min = 1;
        }
        const len = gen.const("len", (0, codegen_1._)`${data}.length`);
        cxt.setParams({ min, max });
        if (max === void 0 && min === 0) {
          (0, util_1.checkStrictMode)(it, `"minContains" == 0 without "maxContains": "contains" keyword ignored`);
          return;
        }
        if (max !== void 0 && min > max) {
          (0, util_1.checkStrictMode)(it, `"minContains" > "maxContains" is always invalid`);
          cxt.fail();
          return;
        }
        if ((0, util_1.alwaysValidSchema)(it, schema2)) {
          let cond = (0, codegen_1._)`${len} >= ${min}`;
          if (max !== void 0)
            cond = (0, codegen_1._)`${cond} && ${len} <= ${max}`;
          cxt.pass(cond);
          return;
        }
        it.items = true;
        const valid = gen.name("valid");
        if (max === void 0 && min === 1) {
          validateItems(valid, () => gen.if(valid, () => gen.break()));
        } else if (min === 0) {
          gen.let(valid, true);
          if (max !== void 0)
            gen.if((0, codegen_1._)`${data}.length > 0`, validateItemsWithCount);
        } else {
          gen.let(valid, false);
          validateItemsWithCount();
        }
        cxt.result(valid, () => cxt.reset());
        function validateItemsWithCount() {
          const schValid = gen.name("_valid");
          const count = gen.let("count", 0);
          validateItems(schValid, () => gen.if(schValid, () => checkLimits(count)));
        }
        function validateItems(_valid, block) {
          gen.forRange("i", 0, len, (i) => {
            cxt.subschema({
              keyword: "contains",
              dataProp: i,
              dataPropType: util_1.Type.Num,
              compositeRule: true
            }, _valid);
            block();
          });
        }
        function checkLimits(count) {
          gen.code((0, codegen_1._)`${count}++`);
          if (max === void 0) {
            gen.if((0, codegen_1._)`${count} >= ${min}`, () => gen.assign(valid, true).break());
          } else {
            gen.if((0, codegen_1._)`${count} > ${max}`, () => gen.assign(valid, false).break());
            if (min === 1)
              gen.assign(valid, true);
            else
              gen.if((0, codegen_1._)`${count} >= ${min}`, () => gen.assign(valid, true));
          }
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/dependencies.js
var require_dependencies = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/dependencies.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.validateSchemaDeps = exports.validatePropertyDeps = exports.error = void 0;
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var code_1 = require_code2();
    exports.error = {
      message: ({ params: { property, depsCount, deps } }) => {
        const property_ies = depsCount === 1 ? "property" : "properties";
        return (0, codegen_1.str)`must have ${property_ies} ${deps} when property ${property} is present`;
      },
      params: ({ params: { property, depsCount, deps, missingProperty } }) => (0, codegen_1._)`{property: ${property},
    missingProperty: ${missingProperty},
    depsCount: ${depsCount},
    deps: ${deps}}`
      // TODO change to reference
    };
    var def = {
      keyword: "dependencies",
      type: "object",
      schemaType: "object",
      error: exports.error,
      code(cxt) {
        const [propDeps, schDeps] = splitDependencies(cxt);
        validatePropertyDeps(cxt, propDeps);
        validateSchemaDeps(cxt, schDeps);
      }
    };
    function splitDependencies({ schema: schema2 }) {
      const propertyDeps = {};
      const schemaDeps = {};
      for (const key in schema2) {
        if (key === "__proto__")
          continue;
        const deps = Array.isArray(schema2[key]) ? propertyDeps : schemaDeps;
        deps[key] = schema2[key];
      }
      return [propertyDeps, schemaDeps];
    }
    function validatePropertyDeps(cxt, propertyDeps = cxt.schema) {
      const { gen, data, it } = cxt;
      if (Object.keys(propertyDeps).length === 0)
        return;
      const missing = gen.let("missing");
      for (const prop in propertyDeps) {
        const deps = propertyDeps[prop];
        if (deps.length === 0)
          continue;
        const hasProperty = (0, code_1.propertyInData)(gen, data, prop, it.opts.ownProperties);
        cxt.setParams({
          property: prop,
          depsCount: deps.length,
          deps: deps.join(", ")
        });
        if (it.allErrors) {
          gen.if(hasProperty, () => {
            for (const depProp of deps) {
              (0, code_1.checkReportMissingProp)(cxt, depProp);
            }
          });
        } else {
          gen.if((0, codegen_1._)`${hasProperty} && (${(0, code_1.checkMissingProp)(cxt, deps, missing)})`);
          (0, code_1.reportMissingProp)(cxt, missing);
          gen.else();
        }
      }
    }
    exports.validatePropertyDeps = validatePropertyDeps;
    function validateSchemaDeps(cxt, schemaDeps = cxt.schema) {
      const { gen, data, keyword, it } = cxt;
      const valid = gen.name("valid");
      for (const prop in schemaDeps) {
        if ((0, util_1.alwaysValidSchema)(it, schemaDeps[prop]))
          continue;
        gen.if(
          (0, code_1.propertyInData)(gen, data, prop, it.opts.ownProperties),
          () => {
            const schCxt = cxt.subschema({ keyword, schemaProp: prop }, valid);
            cxt.mergeValidEvaluated(schCxt, valid);
          },
          () => gen.var(valid, true)
          // TODO var
        );
        cxt.ok(valid);
      }
    }
    exports.validateSchemaDeps = validateSchemaDeps;
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/propertyNames.js
var require_propertyNames = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/propertyNames.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var error = {
      message: "property name must be valid",
      params: ({ params }) => (0, codegen_1._)`{propertyName: ${params.propertyName}}`
    };
    var def = {
      keyword: "propertyNames",
      type: "object",
      schemaType: ["object", "boolean"],
      error,
      code(cxt) {
        const { gen, schema: schema2, data, it } = cxt;
        if ((0, util_1.alwaysValidSchema)(it, schema2))
          return;
        const valid = gen.name("valid");
        gen.forIn("key", data, (key) => {
          cxt.setParams({ propertyName: key });
          cxt.subschema({
            keyword: "propertyNames",
            data: key,
            dataTypes: ["string"],
            propertyName: key,
            compositeRule: true
          }, valid);
          gen.if((0, codegen_1.not)(valid), () => {
            cxt.error(true);
            if (!it.allErrors)
              gen.break();
          });
        });
        cxt.ok(valid);
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/additionalProperties.js
var require_additionalProperties = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/additionalProperties.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var code_1 = require_code2();
    var codegen_1 = require_codegen();
    var names_1 = require_names();
    var util_1 = require_util();
    var error = {
      message: "must NOT have additional properties",
      params: ({ params }) => (0, codegen_1._)`{additionalProperty: ${params.additionalProperty}}`
    };
    var def = {
      keyword: "additionalProperties",
      type: ["object"],
      schemaType: ["boolean", "object"],
      allowUndefined: true,
      trackErrors: true,
      error,
      code(cxt) {
        const { gen, schema: schema2, parentSchema, data, errsCount, it } = cxt;
        if (!errsCount)
          throw new Error("ajv implementation error");
        const { allErrors, opts } = it;
        it.props = true;
        if (opts.removeAdditional !== "all" && (0, util_1.alwaysValidSchema)(it, schema2))
          return;
        const props = (0, code_1.allSchemaProperties)(parentSchema.properties);
        const patProps = (0, code_1.allSchemaProperties)(parentSchema.patternProperties);
        checkAdditionalProperties();
        cxt.ok((0, codegen_1._)`${errsCount} === ${names_1.default.errors}`);
        function checkAdditionalProperties() {
          gen.forIn("key", data, (key) => {
            if (!props.length && !patProps.length)
              additionalPropertyCode(key);
            else
              gen.if(isAdditional(key), () => additionalPropertyCode(key));
          });
        }
        function isAdditional(key) {
          let definedProp;
          if (props.length > 8) {
            const propsSchema = (0, util_1.schemaRefOrVal)(it, parentSchema.properties, "properties");
            definedProp = (0, code_1.isOwnProperty)(gen, propsSchema, key);
          } else if (props.length) {
            definedProp = (0, codegen_1.or)(...props.map((p) => (0, codegen_1._)`${key} === ${p}`));
          } else {
            definedProp = codegen_1.nil;
          }
          if (patProps.length) {
            definedProp = (0, codegen_1.or)(definedProp, ...patProps.map((p) => (0, codegen_1._)`${(0, code_1.usePattern)(cxt, p)}.test(${key})`));
          }
          return (0, codegen_1.not)(definedProp);
        }
        function deleteAdditional(key) {
          gen.code((0, codegen_1._)`delete ${data}[${key}]`);
        }
        function additionalPropertyCode(key) {
          if (opts.removeAdditional === "all" || opts.removeAdditional && schema2 === false) {
            deleteAdditional(key);
            return;
          }
          if (schema2 === false) {
            cxt.setParams({ additionalProperty: key });
            cxt.error();
            if (!allErrors)
              gen.break();
            return;
          }
          if (typeof schema2 == "object" && !(0, util_1.alwaysValidSchema)(it, schema2)) {
            const valid = gen.name("valid");
            if (opts.removeAdditional === "failing") {
              applyAdditionalSchema(key, valid, false);
              gen.if((0, codegen_1.not)(valid), () => {
                cxt.reset();
                deleteAdditional(key);
              });
            } else {
              applyAdditionalSchema(key, valid);
              if (!allErrors)
                gen.if((0, codegen_1.not)(valid), () => gen.break());
            }
          }
        }
        function applyAdditionalSchema(key, valid, errors) {
          const subschema = {
            keyword: "additionalProperties",
            dataProp: key,
            dataPropType: util_1.Type.Str
          };
          if (errors === false) {
            Object.assign(subschema, {
              compositeRule: true,
              createErrors: false,
              allErrors: false
            });
          }
          cxt.subschema(subschema, valid);
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/properties.js
var require_properties = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/properties.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var validate_1 = require_validate();
    var code_1 = require_code2();
    var util_1 = require_util();
    var additionalProperties_1 = require_additionalProperties();
    var def = {
      keyword: "properties",
      type: "object",
      schemaType: "object",
      code(cxt) {
        const { gen, schema: schema2, parentSchema, data, it } = cxt;
        if (it.opts.removeAdditional === "all" && parentSchema.additionalProperties === void 0) {
          additionalProperties_1.default.code(new validate_1.KeywordCxt(it, additionalProperties_1.default, "additionalProperties"));
        }
        const allProps = (0, code_1.allSchemaProperties)(schema2);
        for (const prop of allProps) {
          it.definedProperties.add(prop);
        }
        if (it.opts.unevaluated && allProps.length && it.props !== true) {
          it.props = util_1.mergeEvaluated.props(gen, (0, util_1.toHash)(allProps), it.props);
        }
        const properties = allProps.filter((p) => !(0, util_1.alwaysValidSchema)(it, schema2[p]));
        if (properties.length === 0)
          return;
        const valid = gen.name("valid");
        for (const prop of properties) {
          if (hasDefault(prop)) {
            applyPropertySchema(prop);
          } else {
            gen.if((0, code_1.propertyInData)(gen, data, prop, it.opts.ownProperties));
            applyPropertySchema(prop);
            if (!it.allErrors)
              gen.else().var(valid, true);
            gen.endIf();
          }
          cxt.it.definedProperties.add(prop);
          cxt.ok(valid);
        }
        function hasDefault(prop) {
          return it.opts.useDefaults && !it.compositeRule && schema2[prop].default !== void 0;
        }
        function applyPropertySchema(prop) {
          cxt.subschema({
            keyword: "properties",
            schemaProp: prop,
            dataProp: prop
          }, valid);
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/patternProperties.js
var require_patternProperties = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/patternProperties.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var code_1 = require_code2();
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var util_2 = require_util();
    var def = {
      keyword: "patternProperties",
      type: "object",
      schemaType: "object",
      code(cxt) {
        const { gen, schema: schema2, data, parentSchema, it } = cxt;
        const { opts } = it;
        const patterns = (0, code_1.allSchemaProperties)(schema2);
        const alwaysValidPatterns = patterns.filter((p) => (0, util_1.alwaysValidSchema)(it, schema2[p]));
        if (patterns.length === 0 || alwaysValidPatterns.length === patterns.length && (!it.opts.unevaluated || it.props === true)) {
          return;
        }
        const checkProperties = opts.strictSchema && !opts.allowMatchingProperties && parentSchema.properties;
        const valid = gen.name("valid");
        if (it.props !== true && !(it.props instanceof codegen_1.Name)) {
          it.props = (0, util_2.evaluatedPropsToName)(gen, it.props);
        }
        const { props } = it;
        validatePatternProperties();
        function validatePatternProperties() {
          for (const pat of patterns) {
            if (checkProperties)
              checkMatchingProperties(pat);
            if (it.allErrors) {
              validateProperties(pat);
            } else {
              gen.var(valid, true);
              validateProperties(pat);
              gen.if(valid);
            }
          }
        }
        function checkMatchingProperties(pat) {
          for (const prop in checkProperties) {
            if (new RegExp(pat).test(prop)) {
              (0, util_1.checkStrictMode)(it, `property ${prop} matches pattern ${pat} (use allowMatchingProperties)`);
            }
          }
        }
        function validateProperties(pat) {
          gen.forIn("key", data, (key) => {
            gen.if((0, codegen_1._)`${(0, code_1.usePattern)(cxt, pat)}.test(${key})`, () => {
              const alwaysValid = alwaysValidPatterns.includes(pat);
              if (!alwaysValid) {
                cxt.subschema({
                  keyword: "patternProperties",
                  schemaProp: pat,
                  dataProp: key,
                  dataPropType: util_2.Type.Str
                }, valid);
              }
              if (it.opts.unevaluated && props !== true) {
                gen.assign((0, codegen_1._)`${props}[${key}]`, true);
              } else if (!alwaysValid && !it.allErrors) {
                gen.if((0, codegen_1.not)(valid), () => gen.break());
              }
            });
          });
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/not.js
var require_not = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/not.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var util_1 = require_util();
    var def = {
      keyword: "not",
      schemaType: ["object", "boolean"],
      trackErrors: true,
      code(cxt) {
        const { gen, schema: schema2, it } = cxt;
        if ((0, util_1.alwaysValidSchema)(it, schema2)) {
          cxt.fail();
          return;
        }
        const valid = gen.name("valid");
        cxt.subschema({
          keyword: "not",
          compositeRule: true,
          createErrors: false,
          allErrors: false
        }, valid);
        cxt.failResult(valid, () => cxt.reset(), () => cxt.error());
      },
      error: { message: "must NOT be valid" }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/anyOf.js
var require_anyOf = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/anyOf.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var code_1 = require_code2();
    var def = {
      keyword: "anyOf",
      schemaType: "array",
      trackErrors: true,
      code: code_1.validateUnion,
      error: { message: "must match a schema in anyOf" }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/oneOf.js
var require_oneOf = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/oneOf.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var error = {
      message: "must match exactly one schema in oneOf",
      params: ({ params }) => (0, codegen_1._)`{passingSchemas: ${params.passing}}`
    };
    var def = {
      keyword: "oneOf",
      schemaType: "array",
      trackErrors: true,
      error,
      code(cxt) {
        const { gen, schema: schema2, parentSchema, it } = cxt;
        if (!Array.isArray(schema2))
          throw new Error("ajv implementation error");
        if (it.opts.discriminator && parentSchema.discriminator)
          return;
        const schArr = schema2;
        const valid = gen.let("valid", false);
        const passing = gen.let("passing", null);
        const schValid = gen.name("_valid");
        cxt.setParams({ passing });
        gen.block(validateOneOf);
        cxt.result(valid, () => cxt.reset(), () => cxt.error(true));
        function validateOneOf() {
          schArr.forEach((sch, i) => {
            let schCxt;
            if ((0, util_1.alwaysValidSchema)(it, sch)) {
              gen.var(schValid, true);
            } else {
              schCxt = cxt.subschema({
                keyword: "oneOf",
                schemaProp: i,
                compositeRule: true
              }, schValid);
            }
            if (i > 0) {
              gen.if((0, codegen_1._)`${schValid} && ${valid}`).assign(valid, false).assign(passing, (0, codegen_1._)`[${passing}, ${i}]`).else();
            }
            gen.if(schValid, () => {
              gen.assign(valid, true);
              gen.assign(passing, i);
              if (schCxt)
                cxt.mergeEvaluated(schCxt, codegen_1.Name);
            });
          });
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/allOf.js
var require_allOf = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/allOf.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var util_1 = require_util();
    var def = {
      keyword: "allOf",
      schemaType: "array",
      code(cxt) {
        const { gen, schema: schema2, it } = cxt;
        if (!Array.isArray(schema2))
          throw new Error("ajv implementation error");
        const valid = gen.name("valid");
        schema2.forEach((sch, i) => {
          if ((0, util_1.alwaysValidSchema)(it, sch))
            return;
          const schCxt = cxt.subschema({ keyword: "allOf", schemaProp: i }, valid);
          cxt.ok(valid);
          cxt.mergeEvaluated(schCxt);
        });
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/if.js
var require_if = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/if.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var util_1 = require_util();
    var error = {
      message: ({ params }) => (0, codegen_1.str)`must match "${params.ifClause}" schema`,
      params: ({ params }) => (0, codegen_1._)`{failingKeyword: ${params.ifClause}}`
    };
    var def = {
      keyword: "if",
      schemaType: ["object", "boolean"],
      trackErrors: true,
      error,
      code(cxt) {
        const { gen, parentSchema, it } = cxt;
        if (parentSchema.then === void 0 && parentSchema.else === void 0) {
          (0, util_1.checkStrictMode)(it, '"if" without "then" and "else" is ignored');
        }
        const hasThen = hasSchema(it, "then");
        const hasElse = hasSchema(it, "else");
        if (!hasThen && !hasElse)
          return;
        const valid = gen.let("valid", true);
        const schValid = gen.name("_valid");
        validateIf();
        cxt.reset();
        if (hasThen && hasElse) {
          const ifClause = gen.let("ifClause");
          cxt.setParams({ ifClause });
          gen.if(schValid, validateClause("then", ifClause), validateClause("else", ifClause));
        } else if (hasThen) {
          gen.if(schValid, validateClause("then"));
        } else {
          gen.if((0, codegen_1.not)(schValid), validateClause("else"));
        }
        cxt.pass(valid, () => cxt.error(true));
        function validateIf() {
          const schCxt = cxt.subschema({
            keyword: "if",
            compositeRule: true,
            createErrors: false,
            allErrors: false
          }, schValid);
          cxt.mergeEvaluated(schCxt);
        }
        function validateClause(keyword, ifClause) {
          return () => {
            const schCxt = cxt.subschema({ keyword }, schValid);
            gen.assign(valid, schValid);
            cxt.mergeValidEvaluated(schCxt, valid);
            if (ifClause)
              gen.assign(ifClause, (0, codegen_1._)`${keyword}`);
            else
              cxt.setParams({ ifClause: keyword });
          };
        }
      }
    };
    function hasSchema(it, keyword) {
      const schema2 = it.schema[keyword];
      return schema2 !== void 0 && !(0, util_1.alwaysValidSchema)(it, schema2);
    }
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/thenElse.js
var require_thenElse = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/thenElse.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var util_1 = require_util();
    var def = {
      keyword: ["then", "else"],
      schemaType: ["object", "boolean"],
      code({ keyword, parentSchema, it }) {
        if (parentSchema.if === void 0)
          (0, util_1.checkStrictMode)(it, `"${keyword}" without "if" is ignored`);
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/applicator/index.js
var require_applicator = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/applicator/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var additionalItems_1 = require_additionalItems();
    var prefixItems_1 = require_prefixItems();
    var items_1 = require_items();
    var items2020_1 = require_items2020();
    var contains_1 = require_contains();
    var dependencies_1 = require_dependencies();
    var propertyNames_1 = require_propertyNames();
    var additionalProperties_1 = require_additionalProperties();
    var properties_1 = require_properties();
    var patternProperties_1 = require_patternProperties();
    var not_1 = require_not();
    var anyOf_1 = require_anyOf();
    var oneOf_1 = require_oneOf();
    var allOf_1 = require_allOf();
    var if_1 = require_if();
    var thenElse_1 = require_thenElse();
    function getApplicator(draft2020 = false) {
      const applicator = [
        // any
        not_1.default,
        anyOf_1.default,
        oneOf_1.default,
        allOf_1.default,
        if_1.default,
        thenElse_1.default,
        // object
        propertyNames_1.default,
        additionalProperties_1.default,
        dependencies_1.default,
        properties_1.default,
        patternProperties_1.default
      ];
      if (draft2020)
        applicator.push(prefixItems_1.default, items2020_1.default);
      else
        applicator.push(additionalItems_1.default, items_1.default);
      applicator.push(contains_1.default);
      return applicator;
    }
    exports.default = getApplicator;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/format/format.js
var require_format = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/format/format.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var error = {
      message: ({ schemaCode }) => (0, codegen_1.str)`must match format "${schemaCode}"`,
      params: ({ schemaCode }) => (0, codegen_1._)`{format: ${schemaCode}}`
    };
    var def = {
      keyword: "format",
      type: ["number", "string"],
      schemaType: "string",
      $data: true,
      error,
      code(cxt, ruleType) {
        const { gen, data, $data, schema: schema2, schemaCode, it } = cxt;
        const { opts, errSchemaPath, schemaEnv, self } = it;
        if (!opts.validateFormats)
          return;
        if ($data)
          validate$DataFormat();
        else
          validateFormat();
        function validate$DataFormat() {
          const fmts = gen.scopeValue("formats", {
            ref: self.formats,
            code: opts.code.formats
          });
          const fDef = gen.const("fDef", (0, codegen_1._)`${fmts}[${schemaCode}]`);
          const fType = gen.let("fType");
          const format = gen.let("format");
          gen.if((0, codegen_1._)`typeof ${fDef} == "object" && !(${fDef} instanceof RegExp)`, () => gen.assign(fType, (0, codegen_1._)`${fDef}.type || "string"`).assign(format, (0, codegen_1._)`${fDef}.validate`), () => gen.assign(fType, (0, codegen_1._)`"string"`).assign(format, fDef));
          cxt.fail$data((0, codegen_1.or)(unknownFmt(), invalidFmt()));
          function unknownFmt() {
            if (opts.strictSchema === false)
              return codegen_1.nil;
            return (0, codegen_1._)`${schemaCode} && !${format}`;
          }
          function invalidFmt() {
            const callFormat = schemaEnv.$async ? (0, codegen_1._)`(${fDef}.async ? await ${format}(${data}) : ${format}(${data}))` : (0, codegen_1._)`${format}(${data})`;
            const validData = (0, codegen_1._)`(typeof ${format} == "function" ? ${callFormat} : ${format}.test(${data}))`;
            return (0, codegen_1._)`${format} && ${format} !== true && ${fType} === ${ruleType} && !${validData}`;
          }
        }
        function validateFormat() {
          const formatDef = self.formats[schema2];
          if (!formatDef) {
            unknownFormat();
            return;
          }
          if (formatDef === true)
            return;
          const [fmtType, format, fmtRef] = getFormat(formatDef);
          if (fmtType === ruleType)
            cxt.pass(validCondition());
          function unknownFormat() {
            if (opts.strictSchema === false) {
              self.logger.warn(unknownMsg());
              return;
            }
            throw new Error(unknownMsg());
            function unknownMsg() {
              return `unknown format "${schema2}" ignored in schema at path "${errSchemaPath}"`;
            }
          }
          function getFormat(fmtDef) {
            const code = fmtDef instanceof RegExp ? (0, codegen_1.regexpCode)(fmtDef) : opts.code.formats ? (0, codegen_1._)`${opts.code.formats}${(0, codegen_1.getProperty)(schema2)}` : void 0;
            const fmt = gen.scopeValue("formats", { key: schema2, ref: fmtDef, code });
            if (typeof fmtDef == "object" && !(fmtDef instanceof RegExp)) {
              return [fmtDef.type || "string", fmtDef.validate, (0, codegen_1._)`${fmt}.validate`];
            }
            return ["string", fmtDef, fmt];
          }
          function validCondition() {
            if (typeof formatDef == "object" && !(formatDef instanceof RegExp) && formatDef.async) {
              if (!schemaEnv.$async)
                throw new Error("async format in sync schema");
              return (0, codegen_1._)`await ${fmtRef}(${data})`;
            }
            return typeof format == "function" ? (0, codegen_1._)`${fmtRef}(${data})` : (0, codegen_1._)`${fmtRef}.test(${data})`;
          }
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/format/index.js
var require_format2 = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/format/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var format_1 = require_format();
    var format = [format_1.default];
    exports.default = format;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/metadata.js
var require_metadata = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/metadata.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.contentVocabulary = exports.metadataVocabulary = void 0;
    exports.metadataVocabulary = [
      "title",
      "description",
      "default",
      "deprecated",
      "readOnly",
      "writeOnly",
      "examples"
    ];
    exports.contentVocabulary = [
      "contentMediaType",
      "contentEncoding",
      "contentSchema"
    ];
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/draft7.js
var require_draft7 = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/draft7.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var core_1 = require_core2();
    var validation_1 = require_validation();
    var applicator_1 = require_applicator();
    var format_1 = require_format2();
    var metadata_1 = require_metadata();
    var draft7Vocabularies = [
      core_1.default,
      validation_1.default,
      (0, applicator_1.default)(),
      format_1.default,
      metadata_1.metadataVocabulary,
      metadata_1.contentVocabulary
    ];
    exports.default = draft7Vocabularies;
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/discriminator/types.js
var require_types = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/discriminator/types.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.DiscrError = void 0;
    var DiscrError;
    (function(DiscrError2) {
      DiscrError2["Tag"] = "tag";
      DiscrError2["Mapping"] = "mapping";
    })(DiscrError || (exports.DiscrError = DiscrError = {}));
  }
});

// ../../work/main/node_modules/ajv/dist/vocabularies/discriminator/index.js
var require_discriminator = __commonJS({
  "../../work/main/node_modules/ajv/dist/vocabularies/discriminator/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    var codegen_1 = require_codegen();
    var types_1 = require_types();
    var compile_1 = require_compile();
    var ref_error_1 = require_ref_error();
    var util_1 = require_util();
    var error = {
      message: ({ params: { discrError, tagName } }) => discrError === types_1.DiscrError.Tag ? `tag "${tagName}" must be string` : `value of tag "${tagName}" must be in oneOf`,
      params: ({ params: { discrError, tag, tagName } }) => (0, codegen_1._)`{error: ${discrError}, tag: ${tagName}, tagValue: ${tag}}`
    };
    var def = {
      keyword: "discriminator",
      type: "object",
      schemaType: "object",
      error,
      code(cxt) {
        const { gen, data, schema: schema2, parentSchema, it } = cxt;
        const { oneOf } = parentSchema;
        if (!it.opts.discriminator) {
          throw new Error("discriminator: requires discriminator option");
        }
        const tagName = schema2.propertyName;
        if (typeof tagName != "string")
          throw new Error("discriminator: requires propertyName");
        if (schema2.mapping)
          throw new Error("discriminator: mapping is not supported");
        if (!oneOf)
          throw new Error("discriminator: requires oneOf keyword");
        const valid = gen.let("valid", false);
        const tag = gen.const("tag", (0, codegen_1._)`${data}${(0, codegen_1.getProperty)(tagName)}`);
        gen.if((0, codegen_1._)`typeof ${tag} == "string"`, () => validateMapping(), () => cxt.error(false, { discrError: types_1.DiscrError.Tag, tag, tagName }));
        cxt.ok(valid);
        function validateMapping() {
          const mapping = getMapping();
          gen.if(false);
          for (const tagValue in mapping) {
            gen.elseIf((0, codegen_1._)`${tag} === ${tagValue}`);
            gen.assign(valid, applyTagSchema(mapping[tagValue]));
          }
          gen.else();
          cxt.error(false, { discrError: types_1.DiscrError.Mapping, tag, tagName });
          gen.endIf();
        }
        function applyTagSchema(schemaProp) {
          const _valid = gen.name("valid");
          const schCxt = cxt.subschema({ keyword: "oneOf", schemaProp }, _valid);
          cxt.mergeEvaluated(schCxt, codegen_1.Name);
          return _valid;
        }
        function getMapping() {
          var _a;
          const oneOfMapping = {};
          const topRequired = hasRequired(parentSchema);
          let tagRequired = true;
          for (let i = 0; i < oneOf.length; i++) {
            let sch = oneOf[i];
            if ((sch === null || sch === void 0 ? void 0 : sch.$ref) && !(0, util_1.schemaHasRulesButRef)(sch, it.self.RULES)) {
              const ref = sch.$ref;
              sch = compile_1.resolveRef.call(it.self, it.schemaEnv.root, it.baseId, ref);
              if (sch instanceof compile_1.SchemaEnv)
                sch = sch.schema;
              if (sch === void 0)
                throw new ref_error_1.default(it.opts.uriResolver, it.baseId, ref);
            }
            const propSch = (_a = sch === null || sch === void 0 ? void 0 : sch.properties) === null || _a === void 0 ? void 0 : _a[tagName];
            if (typeof propSch != "object") {
              throw new Error(`discriminator: oneOf subschemas (or referenced schemas) must have "properties/${tagName}"`);
            }
            tagRequired = tagRequired && (topRequired || hasRequired(sch));
            addMappings(propSch, i);
          }
          if (!tagRequired)
            throw new Error(`discriminator: "${tagName}" must be required`);
          return oneOfMapping;
          function hasRequired({ required }) {
            return Array.isArray(required) && required.includes(tagName);
          }
          function addMappings(sch, i) {
            if (sch.const) {
              addMapping(sch.const, i);
            } else if (sch.enum) {
              for (const tagValue of sch.enum) {
                addMapping(tagValue, i);
              }
            } else {
              throw new Error(`discriminator: "properties/${tagName}" must have "const" or "enum"`);
            }
          }
          function addMapping(tagValue, i) {
            if (typeof tagValue != "string" || tagValue in oneOfMapping) {
              throw new Error(`discriminator: "${tagName}" values must be unique strings`);
            }
            oneOfMapping[tagValue] = i;
          }
        }
      }
    };
    exports.default = def;
  }
});

// ../../work/main/node_modules/ajv/dist/refs/json-schema-draft-07.json
var require_json_schema_draft_07 = __commonJS({
  "../../work/main/node_modules/ajv/dist/refs/json-schema-draft-07.json"(exports, module) {
    module.exports = {
      $schema: "http://json-schema.org/draft-07/schema#",
      $id: "http://json-schema.org/draft-07/schema#",
      title: "Core schema meta-schema",
      definitions: {
        schemaArray: {
          type: "array",
          minItems: 1,
          items: { $ref: "#" }
        },
        nonNegativeInteger: {
          type: "integer",
          minimum: 0
        },
        nonNegativeIntegerDefault0: {
          allOf: [{ $ref: "#/definitions/nonNegativeInteger" }, { default: 0 }]
        },
        simpleTypes: {
          enum: ["array", "boolean", "integer", "null", "number", "object", "string"]
        },
        stringArray: {
          type: "array",
          items: { type: "string" },
          uniqueItems: true,
          default: []
        }
      },
      type: ["object", "boolean"],
      properties: {
        $id: {
          type: "string",
          format: "uri-reference"
        },
        $schema: {
          type: "string",
          format: "uri"
        },
        $ref: {
          type: "string",
          format: "uri-reference"
        },
        $comment: {
          type: "string"
        },
        title: {
          type: "string"
        },
        description: {
          type: "string"
        },
        default: true,
        readOnly: {
          type: "boolean",
          default: false
        },
        examples: {
          type: "array",
          items: true
        },
        multipleOf: {
          type: "number",
          exclusiveMinimum: 0
        },
        maximum: {
          type: "number"
        },
        exclusiveMaximum: {
          type: "number"
        },
        minimum: {
          type: "number"
        },
        exclusiveMinimum: {
          type: "number"
        },
        maxLength: { $ref: "#/definitions/nonNegativeInteger" },
        minLength: { $ref: "#/definitions/nonNegativeIntegerDefault0" },
        pattern: {
          type: "string",
          format: "regex"
        },
        additionalItems: { $ref: "#" },
        items: {
          anyOf: [{ $ref: "#" }, { $ref: "#/definitions/schemaArray" }],
          default: true
        },
        maxItems: { $ref: "#/definitions/nonNegativeInteger" },
        minItems: { $ref: "#/definitions/nonNegativeIntegerDefault0" },
        uniqueItems: {
          type: "boolean",
          default: false
        },
        contains: { $ref: "#" },
        maxProperties: { $ref: "#/definitions/nonNegativeInteger" },
        minProperties: { $ref: "#/definitions/nonNegativeIntegerDefault0" },
        required: { $ref: "#/definitions/stringArray" },
        additionalProperties: { $ref: "#" },
        definitions: {
          type: "object",
          additionalProperties: { $ref: "#" },
          default: {}
        },
        properties: {
          type: "object",
          additionalProperties: { $ref: "#" },
          default: {}
        },
        patternProperties: {
          type: "object",
          additionalProperties: { $ref: "#" },
          propertyNames: { format: "regex" },
          default: {}
        },
        dependencies: {
          type: "object",
          additionalProperties: {
            anyOf: [{ $ref: "#" }, { $ref: "#/definitions/stringArray" }]
          }
        },
        propertyNames: { $ref: "#" },
        const: true,
        enum: {
          type: "array",
          items: true,
          minItems: 1,
          uniqueItems: true
        },
        type: {
          anyOf: [
            { $ref: "#/definitions/simpleTypes" },
            {
              type: "array",
              items: { $ref: "#/definitions/simpleTypes" },
              minItems: 1,
              uniqueItems: true
            }
          ]
        },
        format: { type: "string" },
        contentMediaType: { type: "string" },
        contentEncoding: { type: "string" },
        if: { $ref: "#" },
        then: { $ref: "#" },
        else: { $ref: "#" },
        allOf: { $ref: "#/definitions/schemaArray" },
        anyOf: { $ref: "#/definitions/schemaArray" },
        oneOf: { $ref: "#/definitions/schemaArray" },
        not: { $ref: "#" }
      },
      default: true
    };
  }
});

// ../../work/main/node_modules/ajv/dist/ajv.js
var require_ajv = __commonJS({
  "../../work/main/node_modules/ajv/dist/ajv.js"(exports, module) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.MissingRefError = exports.ValidationError = exports.CodeGen = exports.Name = exports.nil = exports.stringify = exports.str = exports._ = exports.KeywordCxt = exports.Ajv = void 0;
    var core_1 = require_core();
    var draft7_1 = require_draft7();
    var discriminator_1 = require_discriminator();
    var draft7MetaSchema = require_json_schema_draft_07();
    var META_SUPPORT_DATA = ["/properties"];
    var META_SCHEMA_ID = "http://json-schema.org/draft-07/schema";
    var Ajv2 = class extends core_1.default {
      _addVocabularies() {
        super._addVocabularies();
        draft7_1.default.forEach((v) => this.addVocabulary(v));
        if (this.opts.discriminator)
          this.addKeyword(discriminator_1.default);
      }
      _addDefaultMetaSchema() {
        super._addDefaultMetaSchema();
        if (!this.opts.meta)
          return;
        const metaSchema = this.opts.$data ? this.$dataMetaSchema(draft7MetaSchema, META_SUPPORT_DATA) : draft7MetaSchema;
        this.addMetaSchema(metaSchema, META_SCHEMA_ID, false);
        this.refs["http://json-schema.org/schema"] = META_SCHEMA_ID;
      }
      defaultMeta() {
        return this.opts.defaultMeta = super.defaultMeta() || (this.getSchema(META_SCHEMA_ID) ? META_SCHEMA_ID : void 0);
      }
    };
    exports.Ajv = Ajv2;
    module.exports = exports = Ajv2;
    module.exports.Ajv = Ajv2;
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.default = Ajv2;
    var validate_1 = require_validate();
    Object.defineProperty(exports, "KeywordCxt", { enumerable: true, get: function() {
      return validate_1.KeywordCxt;
    } });
    var codegen_1 = require_codegen();
    Object.defineProperty(exports, "_", { enumerable: true, get: function() {
      return codegen_1._;
    } });
    Object.defineProperty(exports, "str", { enumerable: true, get: function() {
      return codegen_1.str;
    } });
    Object.defineProperty(exports, "stringify", { enumerable: true, get: function() {
      return codegen_1.stringify;
    } });
    Object.defineProperty(exports, "nil", { enumerable: true, get: function() {
      return codegen_1.nil;
    } });
    Object.defineProperty(exports, "Name", { enumerable: true, get: function() {
      return codegen_1.Name;
    } });
    Object.defineProperty(exports, "CodeGen", { enumerable: true, get: function() {
      return codegen_1.CodeGen;
    } });
    var validation_error_1 = require_validation_error();
    Object.defineProperty(exports, "ValidationError", { enumerable: true, get: function() {
      return validation_error_1.default;
    } });
    var ref_error_1 = require_ref_error();
    Object.defineProperty(exports, "MissingRefError", { enumerable: true, get: function() {
      return ref_error_1.default;
    } });
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/identity.js
var require_identity = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/identity.js"(exports) {
    "use strict";
    var ALIAS = /* @__PURE__ */ Symbol.for("yaml.alias");
    var DOC = /* @__PURE__ */ Symbol.for("yaml.document");
    var MAP = /* @__PURE__ */ Symbol.for("yaml.map");
    var PAIR = /* @__PURE__ */ Symbol.for("yaml.pair");
    var SCALAR = /* @__PURE__ */ Symbol.for("yaml.scalar");
    var SEQ = /* @__PURE__ */ Symbol.for("yaml.seq");
    var NODE_TYPE = /* @__PURE__ */ Symbol.for("yaml.node.type");
    var isAlias = (node2) => !!node2 && typeof node2 === "object" && node2[NODE_TYPE] === ALIAS;
    var isDocument = (node2) => !!node2 && typeof node2 === "object" && node2[NODE_TYPE] === DOC;
    var isMap2 = (node2) => !!node2 && typeof node2 === "object" && node2[NODE_TYPE] === MAP;
    var isPair2 = (node2) => !!node2 && typeof node2 === "object" && node2[NODE_TYPE] === PAIR;
    var isScalar2 = (node2) => !!node2 && typeof node2 === "object" && node2[NODE_TYPE] === SCALAR;
    var isSeq2 = (node2) => !!node2 && typeof node2 === "object" && node2[NODE_TYPE] === SEQ;
    function isCollection(node2) {
      if (node2 && typeof node2 === "object")
        switch (node2[NODE_TYPE]) {
          case MAP:
          case SEQ:
            return true;
        }
      return false;
    }
    function isNode(node2) {
      if (node2 && typeof node2 === "object")
        switch (node2[NODE_TYPE]) {
          case ALIAS:
          case MAP:
          case SCALAR:
          case SEQ:
            return true;
        }
      return false;
    }
    var hasAnchor = (node2) => (isScalar2(node2) || isCollection(node2)) && !!node2.anchor;
    exports.ALIAS = ALIAS;
    exports.DOC = DOC;
    exports.MAP = MAP;
    exports.NODE_TYPE = NODE_TYPE;
    exports.PAIR = PAIR;
    exports.SCALAR = SCALAR;
    exports.SEQ = SEQ;
    exports.hasAnchor = hasAnchor;
    exports.isAlias = isAlias;
    exports.isCollection = isCollection;
    exports.isDocument = isDocument;
    exports.isMap = isMap2;
    exports.isNode = isNode;
    exports.isPair = isPair2;
    exports.isScalar = isScalar2;
    exports.isSeq = isSeq2;
  }
});

// ../../work/main/node_modules/yaml/dist/visit.js
var require_visit = __commonJS({
  "../../work/main/node_modules/yaml/dist/visit.js"(exports) {
    "use strict";
    var identity = require_identity();
    var BREAK = /* @__PURE__ */ Symbol("break visit");
    var SKIP = /* @__PURE__ */ Symbol("skip children");
    var REMOVE = /* @__PURE__ */ Symbol("remove node");
    function visit(node2, visitor) {
      const visitor_ = initVisitor(visitor);
      if (identity.isDocument(node2)) {
        const cd = visit_(null, node2.contents, visitor_, Object.freeze([node2]));
        if (cd === REMOVE)
          node2.contents = null;
      } else
        visit_(null, node2, visitor_, Object.freeze([]));
    }
    visit.BREAK = BREAK;
    visit.SKIP = SKIP;
    visit.REMOVE = REMOVE;
    function visit_(key, node2, visitor, path) {
      const ctrl = callVisitor(key, node2, visitor, path);
      if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visit_(key, ctrl, visitor, path);
      }
      if (typeof ctrl !== "symbol") {
        if (identity.isCollection(node2)) {
          path = Object.freeze(path.concat(node2));
          for (let i = 0; i < node2.items.length; ++i) {
            const ci = visit_(i, node2.items[i], visitor, path);
            if (typeof ci === "number")
              i = ci - 1;
            else if (ci === BREAK)
              return BREAK;
            else if (ci === REMOVE) {
              node2.items.splice(i, 1);
              i -= 1;
            }
          }
        } else if (identity.isPair(node2)) {
          path = Object.freeze(path.concat(node2));
          const ck = visit_("key", node2.key, visitor, path);
          if (ck === BREAK)
            return BREAK;
          else if (ck === REMOVE)
            node2.key = null;
          const cv = visit_("value", node2.value, visitor, path);
          if (cv === BREAK)
            return BREAK;
          else if (cv === REMOVE)
            node2.value = null;
        }
      }
      return ctrl;
    }
    async function visitAsync(node2, visitor) {
      const visitor_ = initVisitor(visitor);
      if (identity.isDocument(node2)) {
        const cd = await visitAsync_(null, node2.contents, visitor_, Object.freeze([node2]));
        if (cd === REMOVE)
          node2.contents = null;
      } else
        await visitAsync_(null, node2, visitor_, Object.freeze([]));
    }
    visitAsync.BREAK = BREAK;
    visitAsync.SKIP = SKIP;
    visitAsync.REMOVE = REMOVE;
    async function visitAsync_(key, node2, visitor, path) {
      const ctrl = await callVisitor(key, node2, visitor, path);
      if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visitAsync_(key, ctrl, visitor, path);
      }
      if (typeof ctrl !== "symbol") {
        if (identity.isCollection(node2)) {
          path = Object.freeze(path.concat(node2));
          for (let i = 0; i < node2.items.length; ++i) {
            const ci = await visitAsync_(i, node2.items[i], visitor, path);
            if (typeof ci === "number")
              i = ci - 1;
            else if (ci === BREAK)
              return BREAK;
            else if (ci === REMOVE) {
              node2.items.splice(i, 1);
              i -= 1;
            }
          }
        } else if (identity.isPair(node2)) {
          path = Object.freeze(path.concat(node2));
          const ck = await visitAsync_("key", node2.key, visitor, path);
          if (ck === BREAK)
            return BREAK;
          else if (ck === REMOVE)
            node2.key = null;
          const cv = await visitAsync_("value", node2.value, visitor, path);
          if (cv === BREAK)
            return BREAK;
          else if (cv === REMOVE)
            node2.value = null;
        }
      }
      return ctrl;
    }
    function initVisitor(visitor) {
      if (typeof visitor === "object" && (visitor.Collection || visitor.Node || visitor.Value)) {
        return Object.assign({
          Alias: visitor.Node,
          Map: visitor.Node,
          Scalar: visitor.Node,
          Seq: visitor.Node
        }, visitor.Value && {
          Map: visitor.Value,
          Scalar: visitor.Value,
          Seq: visitor.Value
        }, visitor.Collection && {
          Map: visitor.Collection,
          Seq: visitor.Collection
        }, visitor);
      }
      return visitor;
    }
    function callVisitor(key, node2, visitor, path) {
      if (typeof visitor === "function")
        return visitor(key, node2, path);
      if (identity.isMap(node2))
        return visitor.Map?.(key, node2, path);
      if (identity.isSeq(node2))
        return visitor.Seq?.(key, node2, path);
      if (identity.isPair(node2))
        return visitor.Pair?.(key, node2, path);
      if (identity.isScalar(node2))
        return visitor.Scalar?.(key, node2, path);
      if (identity.isAlias(node2))
        return visitor.Alias?.(key, node2, path);
      return void 0;
    }
    function replaceNode(key, path, node2) {
      const parent = path[path.length - 1];
      if (identity.isCollection(parent)) {
        parent.items[key] = node2;
      } else if (identity.isPair(parent)) {
        if (key === "key")
          parent.key = node2;
        else
          parent.value = node2;
      } else if (identity.isDocument(parent)) {
        parent.contents = node2;
      } else {
        const pt = identity.isAlias(parent) ? "alias" : "scalar";
        throw new Error(`Cannot replace node with ${pt} parent`);
      }
    }
    exports.visit = visit;
    exports.visitAsync = visitAsync;
  }
});

// ../../work/main/node_modules/yaml/dist/doc/directives.js
var require_directives = __commonJS({
  "../../work/main/node_modules/yaml/dist/doc/directives.js"(exports) {
    "use strict";
    var identity = require_identity();
    var visit = require_visit();
    var escapeChars = {
      "!": "%21",
      ",": "%2C",
      "[": "%5B",
      "]": "%5D",
      "{": "%7B",
      "}": "%7D"
    };
    var escapeTagName = (tn) => tn.replace(/[!,[\]{}]/g, (ch) => escapeChars[ch]);
    var Directives = class _Directives {
      constructor(yaml2, tags) {
        this.docStart = null;
        this.docEnd = false;
        this.yaml = Object.assign({}, _Directives.defaultYaml, yaml2);
        this.tags = Object.assign({}, _Directives.defaultTags, tags);
      }
      clone() {
        const copy = new _Directives(this.yaml, this.tags);
        copy.docStart = this.docStart;
        return copy;
      }
      /**
       * During parsing, get a Directives instance for the current document and
       * update the stream state according to the current version's spec.
       */
      atDocument() {
        const res = new _Directives(this.yaml, this.tags);
        switch (this.yaml.version) {
          case "1.1":
            this.atNextDocument = true;
            break;
          case "1.2":
            this.atNextDocument = false;
            this.yaml = {
              explicit: _Directives.defaultYaml.explicit,
              version: "1.2"
            };
            this.tags = Object.assign({}, _Directives.defaultTags);
            break;
        }
        return res;
      }
      /**
       * @param onError - May be called even if the action was successful
       * @returns `true` on success
       */
      add(line3, onError) {
        if (this.atNextDocument) {
          this.yaml = { explicit: _Directives.defaultYaml.explicit, version: "1.1" };
          this.tags = Object.assign({}, _Directives.defaultTags);
          this.atNextDocument = false;
        }
        const parts = line3.trim().split(/[ \t]+/);
        const name = parts.shift();
        switch (name) {
          case "%TAG": {
            if (parts.length !== 2) {
              onError(0, "%TAG directive should contain exactly two parts");
              if (parts.length < 2)
                return false;
            }
            const [handle, prefix] = parts;
            this.tags[handle] = prefix;
            return true;
          }
          case "%YAML": {
            this.yaml.explicit = true;
            if (parts.length !== 1) {
              onError(0, "%YAML directive should contain exactly one part");
              return false;
            }
            const [version] = parts;
            if (version === "1.1" || version === "1.2") {
              this.yaml.version = version;
              return true;
            } else {
              const isValid = /^\d+\.\d+$/.test(version);
              onError(6, `Unsupported YAML version ${version}`, isValid);
              return false;
            }
          }
          default:
            onError(0, `Unknown directive ${name}`, true);
            return false;
        }
      }
      /**
       * Resolves a tag, matching handles to those defined in %TAG directives.
       *
       * @returns Resolved tag, which may also be the non-specific tag `'!'` or a
       *   `'!local'` tag, or `null` if unresolvable.
       */
      tagName(source, onError) {
        if (source === "!")
          return "!";
        if (source[0] !== "!") {
          onError(`Not a valid tag: ${source}`);
          return null;
        }
        if (source[1] === "<") {
          const verbatim = source.slice(2, -1);
          if (verbatim === "!" || verbatim === "!!") {
            onError(`Verbatim tags aren't resolved, so ${source} is invalid.`);
            return null;
          }
          if (source[source.length - 1] !== ">")
            onError("Verbatim tags must end with a >");
          return verbatim;
        }
        const [, handle, suffix] = source.match(/^(.*!)([^!]*)$/s);
        if (!suffix)
          onError(`The ${source} tag has no suffix`);
        const prefix = this.tags[handle];
        if (prefix) {
          try {
            return prefix + decodeURIComponent(suffix);
          } catch (error) {
            onError(String(error));
            return null;
          }
        }
        if (handle === "!")
          return source;
        onError(`Could not resolve tag: ${source}`);
        return null;
      }
      /**
       * Given a fully resolved tag, returns its printable string form,
       * taking into account current tag prefixes and defaults.
       */
      tagString(tag) {
        for (const [handle, prefix] of Object.entries(this.tags)) {
          if (tag.startsWith(prefix))
            return handle + escapeTagName(tag.substring(prefix.length));
        }
        return tag[0] === "!" ? tag : `!<${tag}>`;
      }
      toString(doc) {
        const lines = this.yaml.explicit ? [`%YAML ${this.yaml.version || "1.2"}`] : [];
        const tagEntries = Object.entries(this.tags);
        let tagNames;
        if (doc && tagEntries.length > 0 && identity.isNode(doc.contents)) {
          const tags = {};
          visit.visit(doc.contents, (_key, node2) => {
            if (identity.isNode(node2) && node2.tag)
              tags[node2.tag] = true;
          });
          tagNames = Object.keys(tags);
        } else
          tagNames = [];
        for (const [handle, prefix] of tagEntries) {
          if (handle === "!!" && prefix === "tag:yaml.org,2002:")
            continue;
          if (!doc || tagNames.some((tn) => tn.startsWith(prefix)))
            lines.push(`%TAG ${handle} ${prefix}`);
        }
        return lines.join("\n");
      }
    };
    Directives.defaultYaml = { explicit: false, version: "1.2" };
    Directives.defaultTags = { "!!": "tag:yaml.org,2002:" };
    exports.Directives = Directives;
  }
});

// ../../work/main/node_modules/yaml/dist/doc/anchors.js
var require_anchors = __commonJS({
  "../../work/main/node_modules/yaml/dist/doc/anchors.js"(exports) {
    "use strict";
    var identity = require_identity();
    var visit = require_visit();
    function anchorIsValid(anchor) {
      if (/[\x00-\x19\s,[\]{}]/.test(anchor)) {
        const sa = JSON.stringify(anchor);
        const msg = `Anchor must not contain whitespace or control characters: ${sa}`;
        throw new Error(msg);
      }
      return true;
    }
    function anchorNames(root) {
      const anchors = /* @__PURE__ */ new Set();
      visit.visit(root, {
        Value(_key, node2) {
          if (node2.anchor)
            anchors.add(node2.anchor);
        }
      });
      return anchors;
    }
    function findNewAnchor(prefix, exclude) {
      for (let i = 1; true; ++i) {
        const name = `${prefix}${i}`;
        if (!exclude.has(name))
          return name;
      }
    }
    function createNodeAnchors(doc, prefix) {
      const aliasObjects = [];
      const sourceObjects = /* @__PURE__ */ new Map();
      let prevAnchors = null;
      return {
        onAnchor: (source) => {
          aliasObjects.push(source);
          prevAnchors ?? (prevAnchors = anchorNames(doc));
          const anchor = findNewAnchor(prefix, prevAnchors);
          prevAnchors.add(anchor);
          return anchor;
        },
        /**
         * With circular references, the source node is only resolved after all
         * of its child nodes are. This is why anchors are set only after all of
         * the nodes have been created.
         */
        setAnchors: () => {
          for (const source of aliasObjects) {
            const ref = sourceObjects.get(source);
            if (typeof ref === "object" && ref.anchor && (identity.isScalar(ref.node) || identity.isCollection(ref.node))) {
              ref.node.anchor = ref.anchor;
            } else {
              const error = new Error("Failed to resolve repeated object (this should not happen)");
              error.source = source;
              throw error;
            }
          }
        },
        sourceObjects
      };
    }
    exports.anchorIsValid = anchorIsValid;
    exports.anchorNames = anchorNames;
    exports.createNodeAnchors = createNodeAnchors;
    exports.findNewAnchor = findNewAnchor;
  }
});

// ../../work/main/node_modules/yaml/dist/doc/applyReviver.js
var require_applyReviver = __commonJS({
  "../../work/main/node_modules/yaml/dist/doc/applyReviver.js"(exports) {
    "use strict";
    function applyReviver(reviver, obj, key, val) {
      if (val && typeof val === "object") {
        if (Array.isArray(val)) {
          for (let i = 0, len = val.length; i < len; ++i) {
            const v0 = val[i];
            const v1 = applyReviver(reviver, val, String(i), v0);
            if (v1 === void 0)
              delete val[i];
            else if (v1 !== v0)
              val[i] = v1;
          }
        } else if (val instanceof Map) {
          for (const k of Array.from(val.keys())) {
            const v0 = val.get(k);
            const v1 = applyReviver(reviver, val, k, v0);
            if (v1 === void 0)
              val.delete(k);
            else if (v1 !== v0)
              val.set(k, v1);
          }
        } else if (val instanceof Set) {
          for (const v0 of Array.from(val)) {
            const v1 = applyReviver(reviver, val, v0, v0);
            if (v1 === void 0)
              val.delete(v0);
            else if (v1 !== v0) {
              val.delete(v0);
              val.add(v1);
            }
          }
        } else {
          for (const [k, v0] of Object.entries(val)) {
            const v1 = applyReviver(reviver, val, k, v0);
            if (v1 === void 0)
              delete val[k];
            else if (v1 !== v0)
              val[k] = v1;
          }
        }
      }
      return reviver.call(obj, key, val);
    }
    exports.applyReviver = applyReviver;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/toJS.js
var require_toJS = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/toJS.js"(exports) {
    "use strict";
    var identity = require_identity();
    function toJS(value, arg, ctx) {
      if (Array.isArray(value))
        return value.map((v, i) => toJS(v, String(i), ctx));
      if (value && typeof value.toJSON === "function") {
        if (!ctx || !identity.hasAnchor(value))
          return value.toJSON(arg, ctx);
        const data = { aliasCount: 0, count: 1, res: void 0 };
        ctx.anchors.set(value, data);
        ctx.onCreate = (res2) => {
          data.res = res2;
          delete ctx.onCreate;
        };
        const res = value.toJSON(arg, ctx);
        if (ctx.onCreate)
          ctx.onCreate(res);
        return res;
      }
      if (typeof value === "bigint" && !ctx?.keep)
        return Number(value);
      return value;
    }
    exports.toJS = toJS;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/Node.js
var require_Node = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/Node.js"(exports) {
    "use strict";
    var applyReviver = require_applyReviver();
    var identity = require_identity();
    var toJS = require_toJS();
    var NodeBase = class {
      constructor(type2) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: type2 });
      }
      /** Create a copy of this node.  */
      clone() {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (this.range)
          copy.range = this.range.slice();
        return copy;
      }
      /** A plain JavaScript representation of this node. */
      toJS(doc, { mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        if (!identity.isDocument(doc))
          throw new TypeError("A document argument is required");
        const ctx = {
          anchors: /* @__PURE__ */ new Map(),
          doc,
          keep: true,
          mapAsMap: mapAsMap === true,
          mapKeyWarned: false,
          maxAliasCount: typeof maxAliasCount === "number" ? maxAliasCount : 100
        };
        const res = toJS.toJS(this, "", ctx);
        if (typeof onAnchor === "function")
          for (const { count, res: res2 } of ctx.anchors.values())
            onAnchor(res2, count);
        return typeof reviver === "function" ? applyReviver.applyReviver(reviver, { "": res }, "", res) : res;
      }
    };
    exports.NodeBase = NodeBase;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/Alias.js
var require_Alias = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/Alias.js"(exports) {
    "use strict";
    var anchors = require_anchors();
    var visit = require_visit();
    var identity = require_identity();
    var Node = require_Node();
    var toJS = require_toJS();
    var Alias = class extends Node.NodeBase {
      constructor(source) {
        super(identity.ALIAS);
        this.source = source;
        Object.defineProperty(this, "tag", {
          set() {
            throw new Error("Alias nodes cannot have tags");
          }
        });
      }
      /**
       * Resolve the value of this alias within `doc`, finding the last
       * instance of the `source` anchor before this node.
       */
      resolve(doc, ctx) {
        if (ctx?.maxAliasCount === 0)
          throw new ReferenceError("Alias resolution is disabled");
        let nodes;
        if (ctx?.aliasResolveCache) {
          nodes = ctx.aliasResolveCache;
        } else {
          nodes = [];
          visit.visit(doc, {
            Node: (_key, node2) => {
              if (identity.isAlias(node2) || identity.hasAnchor(node2))
                nodes.push(node2);
            }
          });
          if (ctx)
            ctx.aliasResolveCache = nodes;
        }
        let found = void 0;
        for (const node2 of nodes) {
          if (node2 === this)
            break;
          if (node2.anchor === this.source)
            found = node2;
        }
        if (found && ctx) {
          const { anchors: anchors2, doc: doc2, maxAliasCount } = ctx;
          let data = anchors2.get(found);
          if (!data) {
            toJS.toJS(found, null, ctx);
            data = anchors2.get(found);
          }
          if (data?.res === void 0) {
            const msg = "This should not happen: Alias anchor was not resolved?";
            throw new ReferenceError(msg);
          }
          if (maxAliasCount >= 0) {
            data.count += 1;
            if (data.aliasCount === 0)
              data.aliasCount = getAliasCount(doc2, found, anchors2);
            if (data.count * data.aliasCount > maxAliasCount) {
              const msg = "Excessive alias count indicates a resource exhaustion attack";
              throw new ReferenceError(msg);
            }
          }
        }
        return found;
      }
      toJSON(_arg, ctx) {
        if (!ctx)
          return { source: this.source };
        const source = this.resolve(ctx.doc, ctx);
        if (!source) {
          const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
          throw new ReferenceError(msg);
        }
        return ctx.anchors.get(source).res;
      }
      toString(ctx, _onComment, _onChompKeep) {
        const src = `*${this.source}`;
        if (ctx) {
          anchors.anchorIsValid(this.source);
          if (ctx.options.verifyAliasOrder && !ctx.anchors.has(this.source)) {
            const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
            throw new Error(msg);
          }
          if (ctx.implicitKey)
            return `${src} `;
        }
        return src;
      }
    };
    function getAliasCount(doc, node2, anchors2) {
      if (identity.isAlias(node2)) {
        const source = node2.resolve(doc);
        const anchor = anchors2 && source && anchors2.get(source);
        return anchor ? anchor.count * anchor.aliasCount : 0;
      } else if (identity.isCollection(node2)) {
        let count = 0;
        for (const item of node2.items) {
          const c = getAliasCount(doc, item, anchors2);
          if (c > count)
            count = c;
        }
        return count;
      } else if (identity.isPair(node2)) {
        const kc = getAliasCount(doc, node2.key, anchors2);
        const vc = getAliasCount(doc, node2.value, anchors2);
        return Math.max(kc, vc);
      }
      return 1;
    }
    exports.Alias = Alias;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/Scalar.js
var require_Scalar = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/Scalar.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Node = require_Node();
    var toJS = require_toJS();
    var isScalarValue = (value) => !value || typeof value !== "function" && typeof value !== "object";
    var Scalar = class extends Node.NodeBase {
      constructor(value) {
        super(identity.SCALAR);
        this.value = value;
      }
      toJSON(arg, ctx) {
        return ctx?.keep ? this.value : toJS.toJS(this.value, arg, ctx);
      }
      toString() {
        return String(this.value);
      }
    };
    Scalar.BLOCK_FOLDED = "BLOCK_FOLDED";
    Scalar.BLOCK_LITERAL = "BLOCK_LITERAL";
    Scalar.PLAIN = "PLAIN";
    Scalar.QUOTE_DOUBLE = "QUOTE_DOUBLE";
    Scalar.QUOTE_SINGLE = "QUOTE_SINGLE";
    exports.Scalar = Scalar;
    exports.isScalarValue = isScalarValue;
  }
});

// ../../work/main/node_modules/yaml/dist/doc/createNode.js
var require_createNode = __commonJS({
  "../../work/main/node_modules/yaml/dist/doc/createNode.js"(exports) {
    "use strict";
    var Alias = require_Alias();
    var identity = require_identity();
    var Scalar = require_Scalar();
    var defaultTagPrefix = "tag:yaml.org,2002:";
    function findTagObject(value, tagName, tags) {
      if (tagName) {
        const match = tags.filter((t) => t.tag === tagName);
        const tagObj = match.find((t) => !t.format) ?? match[0];
        if (!tagObj)
          throw new Error(`Tag ${tagName} not found`);
        return tagObj;
      }
      return tags.find((t) => t.identify?.(value) && !t.format);
    }
    function createNode(value, tagName, ctx) {
      if (identity.isDocument(value))
        value = value.contents;
      if (identity.isNode(value))
        return value;
      if (identity.isPair(value)) {
        const map2 = ctx.schema[identity.MAP].createNode?.(ctx.schema, null, ctx);
        map2.items.push(value);
        return map2;
      }
      if (value instanceof String || value instanceof Number || value instanceof Boolean || typeof BigInt !== "undefined" && value instanceof BigInt) {
        value = value.valueOf();
      }
      const { aliasDuplicateObjects, onAnchor, onTagObj, schema: schema2, sourceObjects } = ctx;
      let ref = void 0;
      if (aliasDuplicateObjects && value && typeof value === "object") {
        ref = sourceObjects.get(value);
        if (ref) {
          ref.anchor ?? (ref.anchor = onAnchor(value));
          return new Alias.Alias(ref.anchor);
        } else {
          ref = { anchor: null, node: null };
          sourceObjects.set(value, ref);
        }
      }
      if (tagName?.startsWith("!!"))
        tagName = defaultTagPrefix + tagName.slice(2);
      let tagObj = findTagObject(value, tagName, schema2.tags);
      if (!tagObj) {
        if (value && typeof value.toJSON === "function") {
          value = value.toJSON();
        }
        if (!value || typeof value !== "object") {
          const node3 = new Scalar.Scalar(value);
          if (ref)
            ref.node = node3;
          return node3;
        }
        tagObj = value instanceof Map ? schema2[identity.MAP] : Symbol.iterator in Object(value) ? schema2[identity.SEQ] : schema2[identity.MAP];
      }
      if (onTagObj) {
        onTagObj(tagObj);
        delete ctx.onTagObj;
      }
      const node2 = tagObj?.createNode ? tagObj.createNode(ctx.schema, value, ctx) : typeof tagObj?.nodeClass?.from === "function" ? tagObj.nodeClass.from(ctx.schema, value, ctx) : new Scalar.Scalar(value);
      if (tagName)
        node2.tag = tagName;
      else if (!tagObj.default)
        node2.tag = tagObj.tag;
      if (ref)
        ref.node = node2;
      return node2;
    }
    exports.createNode = createNode;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/Collection.js
var require_Collection = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/Collection.js"(exports) {
    "use strict";
    var createNode = require_createNode();
    var identity = require_identity();
    var Node = require_Node();
    function collectionFromPath(schema2, path, value) {
      let v = value;
      for (let i = path.length - 1; i >= 0; --i) {
        const k = path[i];
        if (typeof k === "number" && Number.isInteger(k) && k >= 0) {
          const a = [];
          a[k] = v;
          v = a;
        } else {
          v = /* @__PURE__ */ new Map([[k, v]]);
        }
      }
      return createNode.createNode(v, void 0, {
        aliasDuplicateObjects: false,
        keepUndefined: false,
        onAnchor: () => {
          throw new Error("This should not happen, please report a bug.");
        },
        schema: schema2,
        sourceObjects: /* @__PURE__ */ new Map()
      });
    }
    var isEmptyPath = (path) => path == null || typeof path === "object" && !!path[Symbol.iterator]().next().done;
    var Collection = class extends Node.NodeBase {
      constructor(type2, schema2) {
        super(type2);
        Object.defineProperty(this, "schema", {
          value: schema2,
          configurable: true,
          enumerable: false,
          writable: true
        });
      }
      /**
       * Create a copy of this collection.
       *
       * @param schema - If defined, overwrites the original's schema
       */
      clone(schema2) {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (schema2)
          copy.schema = schema2;
        copy.items = copy.items.map((it) => identity.isNode(it) || identity.isPair(it) ? it.clone(schema2) : it);
        if (this.range)
          copy.range = this.range.slice();
        return copy;
      }
      /**
       * Adds a value to the collection. For `!!map` and `!!omap` the value must
       * be a Pair instance or a `{ key, value }` object, which may not have a key
       * that already exists in the map.
       */
      addIn(path, value) {
        if (isEmptyPath(path))
          this.add(value);
        else {
          const [key, ...rest] = path;
          const node2 = this.get(key, true);
          if (identity.isCollection(node2))
            node2.addIn(rest, value);
          else if (node2 === void 0 && this.schema)
            this.set(key, collectionFromPath(this.schema, rest, value));
          else
            throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
      }
      /**
       * Removes a value from the collection.
       * @returns `true` if the item was found and removed.
       */
      deleteIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
          return this.delete(key);
        const node2 = this.get(key, true);
        if (identity.isCollection(node2))
          return node2.deleteIn(rest);
        else
          throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
      }
      /**
       * Returns item at `key`, or `undefined` if not found. By default unwraps
       * scalar values from their surrounding node; to disable set `keepScalar` to
       * `true` (collections are always returned intact).
       */
      getIn(path, keepScalar) {
        const [key, ...rest] = path;
        const node2 = this.get(key, true);
        if (rest.length === 0)
          return !keepScalar && identity.isScalar(node2) ? node2.value : node2;
        else
          return identity.isCollection(node2) ? node2.getIn(rest, keepScalar) : void 0;
      }
      hasAllNullValues(allowScalar) {
        return this.items.every((node2) => {
          if (!identity.isPair(node2))
            return false;
          const n = node2.value;
          return n == null || allowScalar && identity.isScalar(n) && n.value == null && !n.commentBefore && !n.comment && !n.tag;
        });
      }
      /**
       * Checks if the collection includes a value with the key `key`.
       */
      hasIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
          return this.has(key);
        const node2 = this.get(key, true);
        return identity.isCollection(node2) ? node2.hasIn(rest) : false;
      }
      /**
       * Sets a value in this collection. For `!!set`, `value` needs to be a
       * boolean to add/remove the item from the set.
       */
      setIn(path, value) {
        const [key, ...rest] = path;
        if (rest.length === 0) {
          this.set(key, value);
        } else {
          const node2 = this.get(key, true);
          if (identity.isCollection(node2))
            node2.setIn(rest, value);
          else if (node2 === void 0 && this.schema)
            this.set(key, collectionFromPath(this.schema, rest, value));
          else
            throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
      }
    };
    exports.Collection = Collection;
    exports.collectionFromPath = collectionFromPath;
    exports.isEmptyPath = isEmptyPath;
  }
});

// ../../work/main/node_modules/yaml/dist/stringify/stringifyComment.js
var require_stringifyComment = __commonJS({
  "../../work/main/node_modules/yaml/dist/stringify/stringifyComment.js"(exports) {
    "use strict";
    var stringifyComment = (str2) => str2.replace(/^(?!$)(?: $)?/gm, "#");
    function indentComment(comment, indent) {
      if (/^\n+$/.test(comment))
        return comment.substring(1);
      return indent ? comment.replace(/^(?! *$)/gm, indent) : comment;
    }
    var lineComment = (str2, indent, comment) => str2.endsWith("\n") ? indentComment(comment, indent) : comment.includes("\n") ? "\n" + indentComment(comment, indent) : (str2.endsWith(" ") ? "" : " ") + comment;
    exports.indentComment = indentComment;
    exports.lineComment = lineComment;
    exports.stringifyComment = stringifyComment;
  }
});

// ../../work/main/node_modules/yaml/dist/stringify/foldFlowLines.js
var require_foldFlowLines = __commonJS({
  "../../work/main/node_modules/yaml/dist/stringify/foldFlowLines.js"(exports) {
    "use strict";
    var FOLD_FLOW = "flow";
    var FOLD_BLOCK = "block";
    var FOLD_QUOTED = "quoted";
    function foldFlowLines(text, indent, mode = "flow", { indentAtStart, lineWidth = 80, minContentWidth = 20, onFold, onOverflow } = {}) {
      if (!lineWidth || lineWidth < 0)
        return text;
      if (lineWidth < minContentWidth)
        minContentWidth = 0;
      const endStep = Math.max(1 + minContentWidth, 1 + lineWidth - indent.length);
      if (text.length <= endStep)
        return text;
      const folds = [];
      const escapedFolds = {};
      let end = lineWidth - indent.length;
      if (typeof indentAtStart === "number") {
        if (indentAtStart > lineWidth - Math.max(2, minContentWidth))
          folds.push(0);
        else
          end = lineWidth - indentAtStart;
      }
      let split = void 0;
      let prev = void 0;
      let overflow = false;
      let i = -1;
      let escStart = -1;
      let escEnd = -1;
      if (mode === FOLD_BLOCK) {
        i = consumeMoreIndentedLines(text, i, indent.length);
        if (i !== -1)
          end = i + endStep;
      }
      for (let ch; ch = text[i += 1]; ) {
        if (mode === FOLD_QUOTED && ch === "\\") {
          escStart = i;
          switch (text[i + 1]) {
            case "x":
              i += 3;
              break;
            case "u":
              i += 5;
              break;
            case "U":
              i += 9;
              break;
            default:
              i += 1;
          }
          escEnd = i;
        }
        if (ch === "\n") {
          if (mode === FOLD_BLOCK)
            i = consumeMoreIndentedLines(text, i, indent.length);
          end = i + indent.length + endStep;
          split = void 0;
        } else {
          if (ch === " " && prev && prev !== " " && prev !== "\n" && prev !== "	") {
            const next = text[i + 1];
            if (next && next !== " " && next !== "\n" && next !== "	")
              split = i;
          }
          if (i >= end) {
            if (split) {
              folds.push(split);
              end = split + endStep;
              split = void 0;
            } else if (mode === FOLD_QUOTED) {
              while (prev === " " || prev === "	") {
                prev = ch;
                ch = text[i += 1];
                overflow = true;
              }
              const j = i > escEnd + 1 ? i - 2 : escStart - 1;
              if (escapedFolds[j])
                return text;
              folds.push(j);
              escapedFolds[j] = true;
              end = j + endStep;
              split = void 0;
            } else {
              overflow = true;
            }
          }
        }
        prev = ch;
      }
      if (overflow && onOverflow)
        onOverflow();
      if (folds.length === 0)
        return text;
      if (onFold)
        onFold();
      let res = text.slice(0, folds[0]);
      for (let i2 = 0; i2 < folds.length; ++i2) {
        const fold = folds[i2];
        const end2 = folds[i2 + 1] || text.length;
        if (fold === 0)
          res = `
${indent}${text.slice(0, end2)}`;
        else {
          if (mode === FOLD_QUOTED && escapedFolds[fold])
            res += `${text[fold]}\\`;
          res += `
${indent}${text.slice(fold + 1, end2)}`;
        }
      }
      return res;
    }
    function consumeMoreIndentedLines(text, i, indent) {
      let end = i;
      let start = i + 1;
      let ch = text[start];
      while (ch === " " || ch === "	") {
        if (i < start + indent) {
          ch = text[++i];
        } else {
          do {
            ch = text[++i];
          } while (ch && ch !== "\n");
          end = i;
          start = i + 1;
          ch = text[start];
        }
      }
      return end;
    }
    exports.FOLD_BLOCK = FOLD_BLOCK;
    exports.FOLD_FLOW = FOLD_FLOW;
    exports.FOLD_QUOTED = FOLD_QUOTED;
    exports.foldFlowLines = foldFlowLines;
  }
});

// ../../work/main/node_modules/yaml/dist/stringify/stringifyString.js
var require_stringifyString = __commonJS({
  "../../work/main/node_modules/yaml/dist/stringify/stringifyString.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var foldFlowLines = require_foldFlowLines();
    var getFoldOptions = (ctx, isBlock) => ({
      indentAtStart: isBlock ? ctx.indent.length : ctx.indentAtStart,
      lineWidth: ctx.options.lineWidth,
      minContentWidth: ctx.options.minContentWidth
    });
    var containsDocumentMarker = (str2) => /^(%|---|\.\.\.)/m.test(str2);
    function lineLengthOverLimit(str2, lineWidth, indentLength) {
      if (!lineWidth || lineWidth < 0)
        return false;
      const limit = lineWidth - indentLength;
      const strLen = str2.length;
      if (strLen <= limit)
        return false;
      for (let i = 0, start = 0; i < strLen; ++i) {
        if (str2[i] === "\n") {
          if (i - start > limit)
            return true;
          start = i + 1;
          if (strLen - start <= limit)
            return false;
        }
      }
      return true;
    }
    function doubleQuotedString(value, ctx) {
      const json2 = JSON.stringify(value);
      if (ctx.options.doubleQuotedAsJSON)
        return json2;
      const { implicitKey } = ctx;
      const minMultiLineLength = ctx.options.doubleQuotedMinMultiLineLength;
      const indent = ctx.indent || (containsDocumentMarker(value) ? "  " : "");
      let str2 = "";
      let start = 0;
      for (let i = 0, ch = json2[i]; ch; ch = json2[++i]) {
        if (ch === " " && json2[i + 1] === "\\" && json2[i + 2] === "n") {
          str2 += json2.slice(start, i) + "\\ ";
          i += 1;
          start = i;
          ch = "\\";
        }
        if (ch === "\\")
          switch (json2[i + 1]) {
            case "u":
              {
                str2 += json2.slice(start, i);
                const code = json2.substr(i + 2, 4);
                switch (code) {
                  case "0000":
                    str2 += "\\0";
                    break;
                  case "0007":
                    str2 += "\\a";
                    break;
                  case "000b":
                    str2 += "\\v";
                    break;
                  case "001b":
                    str2 += "\\e";
                    break;
                  case "0085":
                    str2 += "\\N";
                    break;
                  case "00a0":
                    str2 += "\\_";
                    break;
                  case "2028":
                    str2 += "\\L";
                    break;
                  case "2029":
                    str2 += "\\P";
                    break;
                  default:
                    if (code.substr(0, 2) === "00")
                      str2 += "\\x" + code.substr(2);
                    else
                      str2 += json2.substr(i, 6);
                }
                i += 5;
                start = i + 1;
              }
              break;
            case "n":
              if (implicitKey || json2[i + 2] === '"' || json2.length < minMultiLineLength) {
                i += 1;
              } else {
                str2 += json2.slice(start, i) + "\n\n";
                while (json2[i + 2] === "\\" && json2[i + 3] === "n" && json2[i + 4] !== '"') {
                  str2 += "\n";
                  i += 2;
                }
                str2 += indent;
                if (json2[i + 2] === " ")
                  str2 += "\\";
                i += 1;
                start = i + 1;
              }
              break;
            default:
              i += 1;
          }
      }
      str2 = start ? str2 + json2.slice(start) : json2;
      return implicitKey ? str2 : foldFlowLines.foldFlowLines(str2, indent, foldFlowLines.FOLD_QUOTED, getFoldOptions(ctx, false));
    }
    function singleQuotedString(value, ctx) {
      if (ctx.options.singleQuote === false || ctx.implicitKey && value.includes("\n") || /[ \t]\n|\n[ \t]/.test(value))
        return doubleQuotedString(value, ctx);
      const indent = ctx.indent || (containsDocumentMarker(value) ? "  " : "");
      const res = "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&
${indent}`) + "'";
      return ctx.implicitKey ? res : foldFlowLines.foldFlowLines(res, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
    }
    function quotedString(value, ctx) {
      const { singleQuote } = ctx.options;
      let qs;
      if (singleQuote === false)
        qs = doubleQuotedString;
      else {
        const hasDouble = value.includes('"');
        const hasSingle = value.includes("'");
        if (hasDouble && !hasSingle)
          qs = singleQuotedString;
        else if (hasSingle && !hasDouble)
          qs = doubleQuotedString;
        else
          qs = singleQuote ? singleQuotedString : doubleQuotedString;
      }
      return qs(value, ctx);
    }
    var blockEndNewlines;
    try {
      blockEndNewlines = new RegExp("(^|(?<!\n))\n+(?!\n|$)", "g");
    } catch {
      blockEndNewlines = /\n+(?!\n|$)/g;
    }
    function blockString({ comment, type: type2, value }, ctx, onComment, onChompKeep) {
      const { blockQuote, commentString, lineWidth } = ctx.options;
      if (!blockQuote || /\n[\t ]+$/.test(value)) {
        return quotedString(value, ctx);
      }
      const indent = ctx.indent || (ctx.forceBlockIndent || containsDocumentMarker(value) ? "  " : "");
      const literal = blockQuote === "literal" ? true : blockQuote === "folded" || type2 === Scalar.Scalar.BLOCK_FOLDED ? false : type2 === Scalar.Scalar.BLOCK_LITERAL ? true : !lineLengthOverLimit(value, lineWidth, indent.length);
      if (!value)
        return literal ? "|\n" : ">\n";
      let chomp;
      let endStart;
      for (endStart = value.length; endStart > 0; --endStart) {
        const ch = value[endStart - 1];
        if (ch !== "\n" && ch !== "	" && ch !== " ")
          break;
      }
      let end = value.substring(endStart);
      const endNlPos = end.indexOf("\n");
      if (endNlPos === -1) {
        chomp = "-";
      } else if (value === end || endNlPos !== end.length - 1) {
        chomp = "+";
        if (onChompKeep)
          onChompKeep();
      } else {
        chomp = "";
      }
      if (end) {
        value = value.slice(0, -end.length);
        if (end[end.length - 1] === "\n")
          end = end.slice(0, -1);
        end = end.replace(blockEndNewlines, `$&${indent}`);
      }
      let startWithSpace = false;
      let startEnd;
      let startNlPos = -1;
      for (startEnd = 0; startEnd < value.length; ++startEnd) {
        const ch = value[startEnd];
        if (ch === " ")
          startWithSpace = true;
        else if (ch === "\n")
          startNlPos = startEnd;
        else
          break;
      }
      let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
      if (start) {
        value = value.substring(start.length);
        start = start.replace(/\n+/g, `$&${indent}`);
      }
      const indentSize = indent ? "2" : "1";
      let header = (startWithSpace ? indentSize : "") + chomp;
      if (comment) {
        header += " " + commentString(comment.replace(/ ?[\r\n]+/g, " "));
        if (onComment)
          onComment();
      }
      if (!literal) {
        const foldedValue = value.replace(/\n+/g, "\n$&").replace(/(?:^|\n)([\t ].*)(?:([\n\t ]*)\n(?![\n\t ]))?/g, "$1$2").replace(/\n+/g, `$&${indent}`);
        let literalFallback = false;
        const foldOptions = getFoldOptions(ctx, true);
        if (blockQuote !== "folded" && type2 !== Scalar.Scalar.BLOCK_FOLDED) {
          foldOptions.onOverflow = () => {
            literalFallback = true;
          };
        }
        const body = foldFlowLines.foldFlowLines(`${start}${foldedValue}${end}`, indent, foldFlowLines.FOLD_BLOCK, foldOptions);
        if (!literalFallback)
          return `>${header}
${indent}${body}`;
      }
      value = value.replace(/\n+/g, `$&${indent}`);
      return `|${header}
${indent}${start}${value}${end}`;
    }
    function plainString(item, ctx, onComment, onChompKeep) {
      const { type: type2, value } = item;
      const { actualString, implicitKey, indent, indentStep, inFlow } = ctx;
      if (implicitKey && value.includes("\n") || inFlow && /[[\]{},]/.test(value)) {
        return quotedString(value, ctx);
      }
      if (/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/.test(value)) {
        return implicitKey || inFlow || !value.includes("\n") ? quotedString(value, ctx) : blockString(item, ctx, onComment, onChompKeep);
      }
      if (!implicitKey && !inFlow && type2 !== Scalar.Scalar.PLAIN && value.includes("\n")) {
        return blockString(item, ctx, onComment, onChompKeep);
      }
      if (containsDocumentMarker(value)) {
        if (indent === "") {
          ctx.forceBlockIndent = true;
          return blockString(item, ctx, onComment, onChompKeep);
        } else if (implicitKey && indent === indentStep) {
          return quotedString(value, ctx);
        }
      }
      const str2 = value.replace(/\n+/g, `$&
${indent}`);
      if (actualString) {
        const test = (tag) => tag.default && tag.tag !== "tag:yaml.org,2002:str" && tag.test?.test(str2);
        const { compat, tags } = ctx.doc.schema;
        if (tags.some(test) || compat?.some(test))
          return quotedString(value, ctx);
      }
      return implicitKey ? str2 : foldFlowLines.foldFlowLines(str2, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
    }
    function stringifyString(item, ctx, onComment, onChompKeep) {
      const { implicitKey, inFlow } = ctx;
      const ss = typeof item.value === "string" ? item : Object.assign({}, item, { value: String(item.value) });
      let { type: type2 } = item;
      if (type2 !== Scalar.Scalar.QUOTE_DOUBLE) {
        if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u.test(ss.value))
          type2 = Scalar.Scalar.QUOTE_DOUBLE;
      }
      const _stringify = (_type) => {
        switch (_type) {
          case Scalar.Scalar.BLOCK_FOLDED:
          case Scalar.Scalar.BLOCK_LITERAL:
            return implicitKey || inFlow ? quotedString(ss.value, ctx) : blockString(ss, ctx, onComment, onChompKeep);
          case Scalar.Scalar.QUOTE_DOUBLE:
            return doubleQuotedString(ss.value, ctx);
          case Scalar.Scalar.QUOTE_SINGLE:
            return singleQuotedString(ss.value, ctx);
          case Scalar.Scalar.PLAIN:
            return plainString(ss, ctx, onComment, onChompKeep);
          default:
            return null;
        }
      };
      let res = _stringify(type2);
      if (res === null) {
        const { defaultKeyType, defaultStringType } = ctx.options;
        const t = implicitKey && defaultKeyType || defaultStringType;
        res = _stringify(t);
        if (res === null)
          throw new Error(`Unsupported default string type ${t}`);
      }
      return res;
    }
    exports.stringifyString = stringifyString;
  }
});

// ../../work/main/node_modules/yaml/dist/stringify/stringify.js
var require_stringify = __commonJS({
  "../../work/main/node_modules/yaml/dist/stringify/stringify.js"(exports) {
    "use strict";
    var anchors = require_anchors();
    var identity = require_identity();
    var stringifyComment = require_stringifyComment();
    var stringifyString = require_stringifyString();
    function createStringifyContext(doc, options) {
      const opt = Object.assign({
        blockQuote: true,
        commentString: stringifyComment.stringifyComment,
        defaultKeyType: null,
        defaultStringType: "PLAIN",
        directives: null,
        doubleQuotedAsJSON: false,
        doubleQuotedMinMultiLineLength: 40,
        falseStr: "false",
        flowCollectionPadding: true,
        indentSeq: true,
        lineWidth: 80,
        minContentWidth: 20,
        nullStr: "null",
        simpleKeys: false,
        singleQuote: null,
        trailingComma: false,
        trueStr: "true",
        verifyAliasOrder: true
      }, doc.schema.toStringOptions, options);
      let inFlow;
      switch (opt.collectionStyle) {
        case "block":
          inFlow = false;
          break;
        case "flow":
          inFlow = true;
          break;
        default:
          inFlow = null;
      }
      return {
        anchors: /* @__PURE__ */ new Set(),
        doc,
        flowCollectionPadding: opt.flowCollectionPadding ? " " : "",
        indent: "",
        indentStep: typeof opt.indent === "number" ? " ".repeat(opt.indent) : "  ",
        inFlow,
        options: opt
      };
    }
    function getTagObject(tags, item) {
      if (item.tag) {
        const match = tags.filter((t) => t.tag === item.tag);
        if (match.length > 0)
          return match.find((t) => t.format === item.format) ?? match[0];
      }
      let tagObj = void 0;
      let obj;
      if (identity.isScalar(item)) {
        obj = item.value;
        let match = tags.filter((t) => t.identify?.(obj));
        if (match.length > 1) {
          const testMatch = match.filter((t) => t.test);
          if (testMatch.length > 0)
            match = testMatch;
        }
        tagObj = match.find((t) => t.format === item.format) ?? match.find((t) => !t.format);
      } else {
        obj = item;
        tagObj = tags.find((t) => t.nodeClass && obj instanceof t.nodeClass);
      }
      if (!tagObj) {
        const name = obj?.constructor?.name ?? (obj === null ? "null" : typeof obj);
        throw new Error(`Tag not resolved for ${name} value`);
      }
      return tagObj;
    }
    function stringifyProps(node2, tagObj, { anchors: anchors$1, doc }) {
      if (!doc.directives)
        return "";
      const props = [];
      const anchor = (identity.isScalar(node2) || identity.isCollection(node2)) && node2.anchor;
      if (anchor && anchors.anchorIsValid(anchor)) {
        anchors$1.add(anchor);
        props.push(`&${anchor}`);
      }
      const tag = node2.tag ?? (tagObj.default ? null : tagObj.tag);
      if (tag)
        props.push(doc.directives.tagString(tag));
      return props.join(" ");
    }
    function stringify(item, ctx, onComment, onChompKeep) {
      if (identity.isPair(item))
        return item.toString(ctx, onComment, onChompKeep);
      if (identity.isAlias(item)) {
        if (ctx.doc.directives)
          return item.toString(ctx);
        if (ctx.resolvedAliases?.has(item)) {
          throw new TypeError(`Cannot stringify circular structure without alias nodes`);
        } else {
          if (ctx.resolvedAliases)
            ctx.resolvedAliases.add(item);
          else
            ctx.resolvedAliases = /* @__PURE__ */ new Set([item]);
          item = item.resolve(ctx.doc);
        }
      }
      let tagObj = void 0;
      const node2 = identity.isNode(item) ? item : ctx.doc.createNode(item, { onTagObj: (o) => tagObj = o });
      tagObj ?? (tagObj = getTagObject(ctx.doc.schema.tags, node2));
      const props = stringifyProps(node2, tagObj, ctx);
      if (props.length > 0)
        ctx.indentAtStart = (ctx.indentAtStart ?? 0) + props.length + 1;
      const str2 = typeof tagObj.stringify === "function" ? tagObj.stringify(node2, ctx, onComment, onChompKeep) : identity.isScalar(node2) ? stringifyString.stringifyString(node2, ctx, onComment, onChompKeep) : node2.toString(ctx, onComment, onChompKeep);
      if (!props)
        return str2;
      return identity.isScalar(node2) || str2[0] === "{" || str2[0] === "[" ? `${props} ${str2}` : `${props}
${ctx.indent}${str2}`;
    }
    exports.createStringifyContext = createStringifyContext;
    exports.stringify = stringify;
  }
});

// ../../work/main/node_modules/yaml/dist/stringify/stringifyPair.js
var require_stringifyPair = __commonJS({
  "../../work/main/node_modules/yaml/dist/stringify/stringifyPair.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Scalar = require_Scalar();
    var stringify = require_stringify();
    var stringifyComment = require_stringifyComment();
    function stringifyPair({ key, value }, ctx, onComment, onChompKeep) {
      const { allNullValues, doc, indent, indentStep, options: { commentString, indentSeq, simpleKeys } } = ctx;
      let keyComment = identity.isNode(key) && key.comment || null;
      if (simpleKeys) {
        if (keyComment) {
          throw new Error("With simple keys, key nodes cannot have comments");
        }
        if (identity.isCollection(key) || !identity.isNode(key) && typeof key === "object") {
          const msg = "With simple keys, collection cannot be used as a key value";
          throw new Error(msg);
        }
      }
      let explicitKey = !simpleKeys && (!key || keyComment && value == null && !ctx.inFlow || identity.isCollection(key) || (identity.isScalar(key) ? key.type === Scalar.Scalar.BLOCK_FOLDED || key.type === Scalar.Scalar.BLOCK_LITERAL : typeof key === "object"));
      ctx = Object.assign({}, ctx, {
        allNullValues: false,
        implicitKey: !explicitKey && (simpleKeys || !allNullValues),
        indent: indent + indentStep
      });
      let keyCommentDone = false;
      let chompKeep = false;
      let str2 = stringify.stringify(key, ctx, () => keyCommentDone = true, () => chompKeep = true);
      if (!explicitKey && !ctx.inFlow && str2.length > 1024) {
        if (simpleKeys)
          throw new Error("With simple keys, single line scalar must not span more than 1024 characters");
        explicitKey = true;
      }
      if (ctx.inFlow) {
        if (allNullValues || value == null) {
          if (keyCommentDone && onComment)
            onComment();
          return str2 === "" ? "?" : explicitKey ? `? ${str2}` : str2;
        }
      } else if (allNullValues && !simpleKeys || value == null && explicitKey) {
        str2 = `? ${str2}`;
        if (keyComment && !keyCommentDone) {
          str2 += stringifyComment.lineComment(str2, ctx.indent, commentString(keyComment));
        } else if (chompKeep && onChompKeep)
          onChompKeep();
        return str2;
      }
      if (keyCommentDone)
        keyComment = null;
      if (explicitKey) {
        if (keyComment)
          str2 += stringifyComment.lineComment(str2, ctx.indent, commentString(keyComment));
        str2 = `? ${str2}
${indent}:`;
      } else {
        str2 = `${str2}:`;
        if (keyComment)
          str2 += stringifyComment.lineComment(str2, ctx.indent, commentString(keyComment));
      }
      let vsb, vcb, valueComment;
      if (identity.isNode(value)) {
        vsb = !!value.spaceBefore;
        vcb = value.commentBefore;
        valueComment = value.comment;
      } else {
        vsb = false;
        vcb = null;
        valueComment = null;
        if (value && typeof value === "object")
          value = doc.createNode(value);
      }
      ctx.implicitKey = false;
      if (!explicitKey && !keyComment && identity.isScalar(value))
        ctx.indentAtStart = str2.length + 1;
      chompKeep = false;
      if (!indentSeq && indentStep.length >= 2 && !ctx.inFlow && !explicitKey && identity.isSeq(value) && !value.flow && !value.tag && !value.anchor) {
        ctx.indent = ctx.indent.substring(2);
      }
      let valueCommentDone = false;
      const valueStr = stringify.stringify(value, ctx, () => valueCommentDone = true, () => chompKeep = true);
      let ws = " ";
      if (keyComment || vsb || vcb) {
        ws = vsb ? "\n" : "";
        if (vcb) {
          const cs = commentString(vcb);
          ws += `
${stringifyComment.indentComment(cs, ctx.indent)}`;
        }
        if (valueStr === "" && !ctx.inFlow) {
          if (ws === "\n" && valueComment)
            ws = "\n\n";
        } else {
          ws += `
${ctx.indent}`;
        }
      } else if (!explicitKey && identity.isCollection(value)) {
        const vs0 = valueStr[0];
        const nl0 = valueStr.indexOf("\n");
        const hasNewline = nl0 !== -1;
        const flow = ctx.inFlow ?? value.flow ?? value.items.length === 0;
        if (hasNewline || !flow) {
          let hasPropsLine = false;
          if (hasNewline && (vs0 === "&" || vs0 === "!")) {
            let sp0 = valueStr.indexOf(" ");
            if (vs0 === "&" && sp0 !== -1 && sp0 < nl0 && valueStr[sp0 + 1] === "!") {
              sp0 = valueStr.indexOf(" ", sp0 + 1);
            }
            if (sp0 === -1 || nl0 < sp0)
              hasPropsLine = true;
          }
          if (!hasPropsLine)
            ws = `
${ctx.indent}`;
        }
      } else if (valueStr === "" || valueStr[0] === "\n") {
        ws = "";
      }
      str2 += ws + valueStr;
      if (ctx.inFlow) {
        if (valueCommentDone && onComment)
          onComment();
      } else if (valueComment && !valueCommentDone) {
        str2 += stringifyComment.lineComment(str2, ctx.indent, commentString(valueComment));
      } else if (chompKeep && onChompKeep) {
        onChompKeep();
      }
      return str2;
    }
    exports.stringifyPair = stringifyPair;
  }
});

// ../../work/main/node_modules/yaml/dist/log.js
var require_log = __commonJS({
  "../../work/main/node_modules/yaml/dist/log.js"(exports) {
    "use strict";
    var node_process = __require("process");
    function debug(logLevel, ...messages) {
      if (logLevel === "debug")
        console.log(...messages);
    }
    function warn(logLevel, warning) {
      if (logLevel === "debug" || logLevel === "warn") {
        if (typeof node_process.emitWarning === "function")
          node_process.emitWarning(warning);
        else
          console.warn(warning);
      }
    }
    exports.debug = debug;
    exports.warn = warn;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/merge.js
var require_merge = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/merge.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Scalar = require_Scalar();
    var MERGE_KEY = "<<";
    var merge2 = {
      identify: (value) => value === MERGE_KEY || typeof value === "symbol" && value.description === MERGE_KEY,
      default: "key",
      tag: "tag:yaml.org,2002:merge",
      test: /^<<$/,
      resolve: () => Object.assign(new Scalar.Scalar(Symbol(MERGE_KEY)), {
        addToJSMap: addMergeToJSMap
      }),
      stringify: () => MERGE_KEY
    };
    var isMergeKey = (ctx, key) => (merge2.identify(key) || identity.isScalar(key) && (!key.type || key.type === Scalar.Scalar.PLAIN) && merge2.identify(key.value)) && ctx?.doc.schema.tags.some((tag) => tag.tag === merge2.tag && tag.default);
    function addMergeToJSMap(ctx, map2, value) {
      const source = resolveAliasValue(ctx, value);
      if (identity.isSeq(source))
        for (const it of source.items)
          mergeValue(ctx, map2, it);
      else if (Array.isArray(source))
        for (const it of source)
          mergeValue(ctx, map2, it);
      else
        mergeValue(ctx, map2, source);
    }
    function mergeValue(ctx, map2, value) {
      const source = resolveAliasValue(ctx, value);
      if (!identity.isMap(source))
        throw new Error("Merge sources must be maps or map aliases");
      const srcMap = source.toJSON(null, ctx, Map);
      for (const [key, value2] of srcMap) {
        if (map2 instanceof Map) {
          if (!map2.has(key))
            map2.set(key, value2);
        } else if (map2 instanceof Set) {
          map2.add(key);
        } else if (!Object.prototype.hasOwnProperty.call(map2, key)) {
          Object.defineProperty(map2, key, {
            value: value2,
            writable: true,
            enumerable: true,
            configurable: true
          });
        }
      }
      return map2;
    }
    function resolveAliasValue(ctx, value) {
      return ctx && identity.isAlias(value) ? value.resolve(ctx.doc, ctx) : value;
    }
    exports.addMergeToJSMap = addMergeToJSMap;
    exports.isMergeKey = isMergeKey;
    exports.merge = merge2;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/addPairToJSMap.js
var require_addPairToJSMap = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/addPairToJSMap.js"(exports) {
    "use strict";
    var log = require_log();
    var merge2 = require_merge();
    var stringify = require_stringify();
    var identity = require_identity();
    var toJS = require_toJS();
    function addPairToJSMap(ctx, map2, { key, value }) {
      if (identity.isNode(key) && key.addToJSMap)
        key.addToJSMap(ctx, map2, value);
      else if (merge2.isMergeKey(ctx, key))
        merge2.addMergeToJSMap(ctx, map2, value);
      else {
        const jsKey = toJS.toJS(key, "", ctx);
        if (map2 instanceof Map) {
          map2.set(jsKey, toJS.toJS(value, jsKey, ctx));
        } else if (map2 instanceof Set) {
          map2.add(jsKey);
        } else {
          const stringKey = stringifyKey(key, jsKey, ctx);
          const jsValue = toJS.toJS(value, stringKey, ctx);
          if (stringKey in map2)
            Object.defineProperty(map2, stringKey, {
              value: jsValue,
              writable: true,
              enumerable: true,
              configurable: true
            });
          else
            map2[stringKey] = jsValue;
        }
      }
      return map2;
    }
    function stringifyKey(key, jsKey, ctx) {
      if (jsKey === null)
        return "";
      if (typeof jsKey !== "object")
        return String(jsKey);
      if (identity.isNode(key) && ctx?.doc) {
        const strCtx = stringify.createStringifyContext(ctx.doc, {});
        strCtx.anchors = /* @__PURE__ */ new Set();
        for (const node2 of ctx.anchors.keys())
          strCtx.anchors.add(node2.anchor);
        strCtx.inFlow = true;
        strCtx.inStringifyKey = true;
        const strKey = key.toString(strCtx);
        if (!ctx.mapKeyWarned) {
          let jsonStr = JSON.stringify(strKey);
          if (jsonStr.length > 40)
            jsonStr = jsonStr.substring(0, 36) + '..."';
          log.warn(ctx.doc.options.logLevel, `Keys with collection values will be stringified due to JS Object restrictions: ${jsonStr}. Set mapAsMap: true to use object keys.`);
          ctx.mapKeyWarned = true;
        }
        return strKey;
      }
      return JSON.stringify(jsKey);
    }
    exports.addPairToJSMap = addPairToJSMap;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/Pair.js
var require_Pair = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/Pair.js"(exports) {
    "use strict";
    var createNode = require_createNode();
    var stringifyPair = require_stringifyPair();
    var addPairToJSMap = require_addPairToJSMap();
    var identity = require_identity();
    function createPair(key, value, ctx) {
      const k = createNode.createNode(key, void 0, ctx);
      const v = createNode.createNode(value, void 0, ctx);
      return new Pair(k, v);
    }
    var Pair = class _Pair {
      constructor(key, value = null) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.PAIR });
        this.key = key;
        this.value = value;
      }
      clone(schema2) {
        let { key, value } = this;
        if (identity.isNode(key))
          key = key.clone(schema2);
        if (identity.isNode(value))
          value = value.clone(schema2);
        return new _Pair(key, value);
      }
      toJSON(_, ctx) {
        const pair = ctx?.mapAsMap ? /* @__PURE__ */ new Map() : {};
        return addPairToJSMap.addPairToJSMap(ctx, pair, this);
      }
      toString(ctx, onComment, onChompKeep) {
        return ctx?.doc ? stringifyPair.stringifyPair(this, ctx, onComment, onChompKeep) : JSON.stringify(this);
      }
    };
    exports.Pair = Pair;
    exports.createPair = createPair;
  }
});

// ../../work/main/node_modules/yaml/dist/stringify/stringifyCollection.js
var require_stringifyCollection = __commonJS({
  "../../work/main/node_modules/yaml/dist/stringify/stringifyCollection.js"(exports) {
    "use strict";
    var identity = require_identity();
    var stringify = require_stringify();
    var stringifyComment = require_stringifyComment();
    function stringifyCollection(collection, ctx, options) {
      const flow = ctx.inFlow ?? collection.flow;
      const stringify2 = flow ? stringifyFlowCollection : stringifyBlockCollection;
      return stringify2(collection, ctx, options);
    }
    function stringifyBlockCollection({ comment, items }, ctx, { blockItemPrefix, flowChars, itemIndent, onChompKeep, onComment }) {
      const { indent, options: { commentString } } = ctx;
      const itemCtx = Object.assign({}, ctx, { indent: itemIndent, type: null });
      let chompKeep = false;
      const lines = [];
      for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment2 = null;
        if (identity.isNode(item)) {
          if (!chompKeep && item.spaceBefore)
            lines.push("");
          addCommentBefore(ctx, lines, item.commentBefore, chompKeep);
          if (item.comment)
            comment2 = item.comment;
        } else if (identity.isPair(item)) {
          const ik = identity.isNode(item.key) ? item.key : null;
          if (ik) {
            if (!chompKeep && ik.spaceBefore)
              lines.push("");
            addCommentBefore(ctx, lines, ik.commentBefore, chompKeep);
          }
        }
        chompKeep = false;
        let str3 = stringify.stringify(item, itemCtx, () => comment2 = null, () => chompKeep = true);
        if (comment2)
          str3 += stringifyComment.lineComment(str3, itemIndent, commentString(comment2));
        if (chompKeep && comment2)
          chompKeep = false;
        lines.push(blockItemPrefix + str3);
      }
      let str2;
      if (lines.length === 0) {
        str2 = flowChars.start + flowChars.end;
      } else {
        str2 = lines[0];
        for (let i = 1; i < lines.length; ++i) {
          const line3 = lines[i];
          str2 += line3 ? `
${indent}${line3}` : "\n";
        }
      }
      if (comment) {
        str2 += "\n" + stringifyComment.indentComment(commentString(comment), indent);
        if (onComment)
          onComment();
      } else if (chompKeep && onChompKeep)
        onChompKeep();
      return str2;
    }
    function stringifyFlowCollection({ items }, ctx, { flowChars, itemIndent }) {
      const { indent, indentStep, flowCollectionPadding: fcPadding, options: { commentString } } = ctx;
      itemIndent += indentStep;
      const itemCtx = Object.assign({}, ctx, {
        indent: itemIndent,
        inFlow: true,
        type: null
      });
      let reqNewline = false;
      let linesAtValue = 0;
      const lines = [];
      for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (identity.isNode(item)) {
          if (item.spaceBefore)
            lines.push("");
          addCommentBefore(ctx, lines, item.commentBefore, false);
          if (item.comment)
            comment = item.comment;
        } else if (identity.isPair(item)) {
          const ik = identity.isNode(item.key) ? item.key : null;
          if (ik) {
            if (ik.spaceBefore)
              lines.push("");
            addCommentBefore(ctx, lines, ik.commentBefore, false);
            if (ik.comment)
              reqNewline = true;
          }
          const iv = identity.isNode(item.value) ? item.value : null;
          if (iv) {
            if (iv.comment)
              comment = iv.comment;
            if (iv.commentBefore)
              reqNewline = true;
          } else if (item.value == null && ik?.comment) {
            comment = ik.comment;
          }
        }
        if (comment)
          reqNewline = true;
        let str2 = stringify.stringify(item, itemCtx, () => comment = null);
        reqNewline || (reqNewline = lines.length > linesAtValue || str2.includes("\n"));
        if (i < items.length - 1) {
          str2 += ",";
        } else if (ctx.options.trailingComma) {
          if (ctx.options.lineWidth > 0) {
            reqNewline || (reqNewline = lines.reduce((sum, line3) => sum + line3.length + 2, 2) + (str2.length + 2) > ctx.options.lineWidth);
          }
          if (reqNewline) {
            str2 += ",";
          }
        }
        if (comment)
          str2 += stringifyComment.lineComment(str2, itemIndent, commentString(comment));
        lines.push(str2);
        linesAtValue = lines.length;
      }
      const { start, end } = flowChars;
      if (lines.length === 0) {
        return start + end;
      } else {
        if (!reqNewline) {
          const len = lines.reduce((sum, line3) => sum + line3.length + 2, 2);
          reqNewline = ctx.options.lineWidth > 0 && len > ctx.options.lineWidth;
        }
        if (reqNewline) {
          let str2 = start;
          for (const line3 of lines)
            str2 += line3 ? `
${indentStep}${indent}${line3}` : "\n";
          return `${str2}
${indent}${end}`;
        } else {
          return `${start}${fcPadding}${lines.join(" ")}${fcPadding}${end}`;
        }
      }
    }
    function addCommentBefore({ indent, options: { commentString } }, lines, comment, chompKeep) {
      if (comment && chompKeep)
        comment = comment.replace(/^\n+/, "");
      if (comment) {
        const ic = stringifyComment.indentComment(commentString(comment), indent);
        lines.push(ic.trimStart());
      }
    }
    exports.stringifyCollection = stringifyCollection;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/YAMLMap.js
var require_YAMLMap = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/YAMLMap.js"(exports) {
    "use strict";
    var stringifyCollection = require_stringifyCollection();
    var addPairToJSMap = require_addPairToJSMap();
    var Collection = require_Collection();
    var identity = require_identity();
    var Pair = require_Pair();
    var Scalar = require_Scalar();
    function findPair(items, key) {
      const k = identity.isScalar(key) ? key.value : key;
      for (const it of items) {
        if (identity.isPair(it)) {
          if (it.key === key || it.key === k)
            return it;
          if (identity.isScalar(it.key) && it.key.value === k)
            return it;
        }
      }
      return void 0;
    }
    var YAMLMap = class extends Collection.Collection {
      static get tagName() {
        return "tag:yaml.org,2002:map";
      }
      constructor(schema2) {
        super(identity.MAP, schema2);
        this.items = [];
      }
      /**
       * A generic collection parsing method that can be extended
       * to other node classes that inherit from YAMLMap
       */
      static from(schema2, obj, ctx) {
        const { keepUndefined, replacer } = ctx;
        const map2 = new this(schema2);
        const add = (key, value) => {
          if (typeof replacer === "function")
            value = replacer.call(obj, key, value);
          else if (Array.isArray(replacer) && !replacer.includes(key))
            return;
          if (value !== void 0 || keepUndefined)
            map2.items.push(Pair.createPair(key, value, ctx));
        };
        if (obj instanceof Map) {
          for (const [key, value] of obj)
            add(key, value);
        } else if (obj && typeof obj === "object") {
          for (const key of Object.keys(obj))
            add(key, obj[key]);
        }
        if (typeof schema2.sortMapEntries === "function") {
          map2.items.sort(schema2.sortMapEntries);
        }
        return map2;
      }
      /**
       * Adds a value to the collection.
       *
       * @param overwrite - If not set `true`, using a key that is already in the
       *   collection will throw. Otherwise, overwrites the previous value.
       */
      add(pair, overwrite) {
        let _pair;
        if (identity.isPair(pair))
          _pair = pair;
        else if (!pair || typeof pair !== "object" || !("key" in pair)) {
          _pair = new Pair.Pair(pair, pair?.value);
        } else
          _pair = new Pair.Pair(pair.key, pair.value);
        const prev = findPair(this.items, _pair.key);
        const sortEntries = this.schema?.sortMapEntries;
        if (prev) {
          if (!overwrite)
            throw new Error(`Key ${_pair.key} already set`);
          if (identity.isScalar(prev.value) && Scalar.isScalarValue(_pair.value))
            prev.value.value = _pair.value;
          else
            prev.value = _pair.value;
        } else if (sortEntries) {
          const i = this.items.findIndex((item) => sortEntries(_pair, item) < 0);
          if (i === -1)
            this.items.push(_pair);
          else
            this.items.splice(i, 0, _pair);
        } else {
          this.items.push(_pair);
        }
      }
      delete(key) {
        const it = findPair(this.items, key);
        if (!it)
          return false;
        const del = this.items.splice(this.items.indexOf(it), 1);
        return del.length > 0;
      }
      get(key, keepScalar) {
        const it = findPair(this.items, key);
        const node2 = it?.value;
        return (!keepScalar && identity.isScalar(node2) ? node2.value : node2) ?? void 0;
      }
      has(key) {
        return !!findPair(this.items, key);
      }
      set(key, value) {
        this.add(new Pair.Pair(key, value), true);
      }
      /**
       * @param ctx - Conversion context, originally set in Document#toJS()
       * @param {Class} Type - If set, forces the returned collection type
       * @returns Instance of Type, Map, or Object
       */
      toJSON(_, ctx, Type2) {
        const map2 = Type2 ? new Type2() : ctx?.mapAsMap ? /* @__PURE__ */ new Map() : {};
        if (ctx?.onCreate)
          ctx.onCreate(map2);
        for (const item of this.items)
          addPairToJSMap.addPairToJSMap(ctx, map2, item);
        return map2;
      }
      toString(ctx, onComment, onChompKeep) {
        if (!ctx)
          return JSON.stringify(this);
        for (const item of this.items) {
          if (!identity.isPair(item))
            throw new Error(`Map items must all be pairs; found ${JSON.stringify(item)} instead`);
        }
        if (!ctx.allNullValues && this.hasAllNullValues(false))
          ctx = Object.assign({}, ctx, { allNullValues: true });
        return stringifyCollection.stringifyCollection(this, ctx, {
          blockItemPrefix: "",
          flowChars: { start: "{", end: "}" },
          itemIndent: ctx.indent || "",
          onChompKeep,
          onComment
        });
      }
    };
    exports.YAMLMap = YAMLMap;
    exports.findPair = findPair;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/common/map.js
var require_map = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/common/map.js"(exports) {
    "use strict";
    var identity = require_identity();
    var YAMLMap = require_YAMLMap();
    var map2 = {
      collection: "map",
      default: true,
      nodeClass: YAMLMap.YAMLMap,
      tag: "tag:yaml.org,2002:map",
      resolve(map3, onError) {
        if (!identity.isMap(map3))
          onError("Expected a mapping for this tag");
        return map3;
      },
      createNode: (schema2, obj, ctx) => YAMLMap.YAMLMap.from(schema2, obj, ctx)
    };
    exports.map = map2;
  }
});

// ../../work/main/node_modules/yaml/dist/nodes/YAMLSeq.js
var require_YAMLSeq = __commonJS({
  "../../work/main/node_modules/yaml/dist/nodes/YAMLSeq.js"(exports) {
    "use strict";
    var createNode = require_createNode();
    var stringifyCollection = require_stringifyCollection();
    var Collection = require_Collection();
    var identity = require_identity();
    var Scalar = require_Scalar();
    var toJS = require_toJS();
    var YAMLSeq = class extends Collection.Collection {
      static get tagName() {
        return "tag:yaml.org,2002:seq";
      }
      constructor(schema2) {
        super(identity.SEQ, schema2);
        this.items = [];
      }
      add(value) {
        this.items.push(value);
      }
      /**
       * Removes a value from the collection.
       *
       * `key` must contain a representation of an integer for this to succeed.
       * It may be wrapped in a `Scalar`.
       *
       * @returns `true` if the item was found and removed.
       */
      delete(key) {
        const idx = asItemIndex(key);
        if (typeof idx !== "number")
          return false;
        const del = this.items.splice(idx, 1);
        return del.length > 0;
      }
      get(key, keepScalar) {
        const idx = asItemIndex(key);
        if (typeof idx !== "number")
          return void 0;
        const it = this.items[idx];
        return !keepScalar && identity.isScalar(it) ? it.value : it;
      }
      /**
       * Checks if the collection includes a value with the key `key`.
       *
       * `key` must contain a representation of an integer for this to succeed.
       * It may be wrapped in a `Scalar`.
       */
      has(key) {
        const idx = asItemIndex(key);
        return typeof idx === "number" && idx < this.items.length;
      }
      /**
       * Sets a value in this collection. For `!!set`, `value` needs to be a
       * boolean to add/remove the item from the set.
       *
       * If `key` does not contain a representation of an integer, this will throw.
       * It may be wrapped in a `Scalar`.
       */
      set(key, value) {
        const idx = asItemIndex(key);
        if (typeof idx !== "number")
          throw new Error(`Expected a valid index, not ${key}.`);
        const prev = this.items[idx];
        if (identity.isScalar(prev) && Scalar.isScalarValue(value))
          prev.value = value;
        else
          this.items[idx] = value;
      }
      toJSON(_, ctx) {
        const seq2 = [];
        if (ctx?.onCreate)
          ctx.onCreate(seq2);
        let i = 0;
        for (const item of this.items)
          seq2.push(toJS.toJS(item, String(i++), ctx));
        return seq2;
      }
      toString(ctx, onComment, onChompKeep) {
        if (!ctx)
          return JSON.stringify(this);
        return stringifyCollection.stringifyCollection(this, ctx, {
          blockItemPrefix: "- ",
          flowChars: { start: "[", end: "]" },
          itemIndent: (ctx.indent || "") + "  ",
          onChompKeep,
          onComment
        });
      }
      static from(schema2, obj, ctx) {
        const { replacer } = ctx;
        const seq2 = new this(schema2);
        if (obj && Symbol.iterator in Object(obj)) {
          let i = 0;
          for (let it of obj) {
            if (typeof replacer === "function") {
              const key = obj instanceof Set ? it : String(i++);
              it = replacer.call(obj, key, it);
            }
            seq2.items.push(createNode.createNode(it, void 0, ctx));
          }
        }
        return seq2;
      }
    };
    function asItemIndex(key) {
      let idx = identity.isScalar(key) ? key.value : key;
      if (idx && typeof idx === "string")
        idx = Number(idx);
      return typeof idx === "number" && Number.isInteger(idx) && idx >= 0 ? idx : null;
    }
    exports.YAMLSeq = YAMLSeq;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/common/seq.js
var require_seq = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/common/seq.js"(exports) {
    "use strict";
    var identity = require_identity();
    var YAMLSeq = require_YAMLSeq();
    var seq2 = {
      collection: "seq",
      default: true,
      nodeClass: YAMLSeq.YAMLSeq,
      tag: "tag:yaml.org,2002:seq",
      resolve(seq3, onError) {
        if (!identity.isSeq(seq3))
          onError("Expected a sequence for this tag");
        return seq3;
      },
      createNode: (schema2, obj, ctx) => YAMLSeq.YAMLSeq.from(schema2, obj, ctx)
    };
    exports.seq = seq2;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/common/string.js
var require_string = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/common/string.js"(exports) {
    "use strict";
    var stringifyString = require_stringifyString();
    var string = {
      identify: (value) => typeof value === "string",
      default: true,
      tag: "tag:yaml.org,2002:str",
      resolve: (str2) => str2,
      stringify(item, ctx, onComment, onChompKeep) {
        ctx = Object.assign({ actualString: true }, ctx);
        return stringifyString.stringifyString(item, ctx, onComment, onChompKeep);
      }
    };
    exports.string = string;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/common/null.js
var require_null2 = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/common/null.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var nullTag = {
      identify: (value) => value == null,
      createNode: () => new Scalar.Scalar(null),
      default: true,
      tag: "tag:yaml.org,2002:null",
      test: /^(?:~|[Nn]ull|NULL)?$/,
      resolve: () => new Scalar.Scalar(null),
      stringify: ({ source }, ctx) => typeof source === "string" && nullTag.test.test(source) ? source : ctx.options.nullStr
    };
    exports.nullTag = nullTag;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/core/bool.js
var require_bool = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/core/bool.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var boolTag = {
      identify: (value) => typeof value === "boolean",
      default: true,
      tag: "tag:yaml.org,2002:bool",
      test: /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
      resolve: (str2) => new Scalar.Scalar(str2[0] === "t" || str2[0] === "T"),
      stringify({ source, value }, ctx) {
        if (source && boolTag.test.test(source)) {
          const sv = source[0] === "t" || source[0] === "T";
          if (value === sv)
            return source;
        }
        return value ? ctx.options.trueStr : ctx.options.falseStr;
      }
    };
    exports.boolTag = boolTag;
  }
});

// ../../work/main/node_modules/yaml/dist/stringify/stringifyNumber.js
var require_stringifyNumber = __commonJS({
  "../../work/main/node_modules/yaml/dist/stringify/stringifyNumber.js"(exports) {
    "use strict";
    function stringifyNumber({ format, minFractionDigits, tag, value }) {
      if (typeof value === "bigint")
        return String(value);
      const num = typeof value === "number" ? value : Number(value);
      if (!isFinite(num))
        return isNaN(num) ? ".nan" : num < 0 ? "-.inf" : ".inf";
      let n = Object.is(value, -0) ? "-0" : JSON.stringify(value);
      if (!format && minFractionDigits && (!tag || tag === "tag:yaml.org,2002:float") && /^-?\d/.test(n) && !n.includes("e")) {
        let i = n.indexOf(".");
        if (i < 0) {
          i = n.length;
          n += ".";
        }
        let d = minFractionDigits - (n.length - i - 1);
        while (d-- > 0)
          n += "0";
      }
      return n;
    }
    exports.stringifyNumber = stringifyNumber;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/core/float.js
var require_float = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/core/float.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var stringifyNumber = require_stringifyNumber();
    var floatNaN = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
      resolve: (str2) => str2.slice(-3).toLowerCase() === "nan" ? NaN : str2[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
      stringify: stringifyNumber.stringifyNumber
    };
    var floatExp = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      format: "EXP",
      test: /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
      resolve: (str2) => parseFloat(str2),
      stringify(node2) {
        const num = Number(node2.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node2);
      }
    };
    var float2 = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      test: /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
      resolve(str2) {
        const node2 = new Scalar.Scalar(parseFloat(str2));
        const dot = str2.indexOf(".");
        if (dot !== -1 && str2[str2.length - 1] === "0")
          node2.minFractionDigits = str2.length - dot - 1;
        return node2;
      },
      stringify: stringifyNumber.stringifyNumber
    };
    exports.float = float2;
    exports.floatExp = floatExp;
    exports.floatNaN = floatNaN;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/core/int.js
var require_int = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/core/int.js"(exports) {
    "use strict";
    var stringifyNumber = require_stringifyNumber();
    var intIdentify = (value) => typeof value === "bigint" || Number.isInteger(value);
    var intResolve = (str2, offset, radix, { intAsBigInt }) => intAsBigInt ? BigInt(str2) : parseInt(str2.substring(offset), radix);
    function intStringify(node2, radix, prefix) {
      const { value } = node2;
      if (intIdentify(value) && value >= 0)
        return prefix + value.toString(radix);
      return stringifyNumber.stringifyNumber(node2);
    }
    var intOct = {
      identify: (value) => intIdentify(value) && value >= 0,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "OCT",
      test: /^0o[0-7]+$/,
      resolve: (str2, _onError, opt) => intResolve(str2, 2, 8, opt),
      stringify: (node2) => intStringify(node2, 8, "0o")
    };
    var int2 = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      test: /^[-+]?[0-9]+$/,
      resolve: (str2, _onError, opt) => intResolve(str2, 0, 10, opt),
      stringify: stringifyNumber.stringifyNumber
    };
    var intHex = {
      identify: (value) => intIdentify(value) && value >= 0,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "HEX",
      test: /^0x[0-9a-fA-F]+$/,
      resolve: (str2, _onError, opt) => intResolve(str2, 2, 16, opt),
      stringify: (node2) => intStringify(node2, 16, "0x")
    };
    exports.int = int2;
    exports.intHex = intHex;
    exports.intOct = intOct;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/core/schema.js
var require_schema = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/core/schema.js"(exports) {
    "use strict";
    var map2 = require_map();
    var _null2 = require_null2();
    var seq2 = require_seq();
    var string = require_string();
    var bool3 = require_bool();
    var float2 = require_float();
    var int2 = require_int();
    var schema2 = [
      map2.map,
      seq2.seq,
      string.string,
      _null2.nullTag,
      bool3.boolTag,
      int2.intOct,
      int2.int,
      int2.intHex,
      float2.floatNaN,
      float2.floatExp,
      float2.float
    ];
    exports.schema = schema2;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/json/schema.js
var require_schema2 = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/json/schema.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var map2 = require_map();
    var seq2 = require_seq();
    function intIdentify(value) {
      return typeof value === "bigint" || Number.isInteger(value);
    }
    var stringifyJSON = ({ value }) => JSON.stringify(value);
    var jsonScalars = [
      {
        identify: (value) => typeof value === "string",
        default: true,
        tag: "tag:yaml.org,2002:str",
        resolve: (str2) => str2,
        stringify: stringifyJSON
      },
      {
        identify: (value) => value == null,
        createNode: () => new Scalar.Scalar(null),
        default: true,
        tag: "tag:yaml.org,2002:null",
        test: /^null$/,
        resolve: () => null,
        stringify: stringifyJSON
      },
      {
        identify: (value) => typeof value === "boolean",
        default: true,
        tag: "tag:yaml.org,2002:bool",
        test: /^true$|^false$/,
        resolve: (str2) => str2 === "true",
        stringify: stringifyJSON
      },
      {
        identify: intIdentify,
        default: true,
        tag: "tag:yaml.org,2002:int",
        test: /^-?(?:0|[1-9][0-9]*)$/,
        resolve: (str2, _onError, { intAsBigInt }) => intAsBigInt ? BigInt(str2) : parseInt(str2, 10),
        stringify: ({ value }) => intIdentify(value) ? value.toString() : JSON.stringify(value)
      },
      {
        identify: (value) => typeof value === "number",
        default: true,
        tag: "tag:yaml.org,2002:float",
        test: /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$/,
        resolve: (str2) => parseFloat(str2),
        stringify: stringifyJSON
      }
    ];
    var jsonError = {
      default: true,
      tag: "",
      test: /^/,
      resolve(str2, onError) {
        onError(`Unresolved plain scalar ${JSON.stringify(str2)}`);
        return str2;
      }
    };
    var schema2 = [map2.map, seq2.seq].concat(jsonScalars, jsonError);
    exports.schema = schema2;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/binary.js
var require_binary = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/binary.js"(exports) {
    "use strict";
    var node_buffer = __require("buffer");
    var Scalar = require_Scalar();
    var stringifyString = require_stringifyString();
    var binary2 = {
      identify: (value) => value instanceof Uint8Array,
      // Buffer inherits from Uint8Array
      default: false,
      tag: "tag:yaml.org,2002:binary",
      /**
       * Returns a Buffer in node and an Uint8Array in browsers
       *
       * To use the resulting buffer as an image, you'll want to do something like:
       *
       *   const blob = new Blob([buffer], { type: 'image/jpeg' })
       *   document.querySelector('#photo').src = URL.createObjectURL(blob)
       */
      resolve(src, onError) {
        if (typeof node_buffer.Buffer === "function") {
          return node_buffer.Buffer.from(src, "base64");
        } else if (typeof atob === "function") {
          const str2 = atob(src.replace(/[\n\r]/g, ""));
          const buffer = new Uint8Array(str2.length);
          for (let i = 0; i < str2.length; ++i)
            buffer[i] = str2.charCodeAt(i);
          return buffer;
        } else {
          onError("This environment does not support reading binary tags; either Buffer or atob is required");
          return src;
        }
      },
      stringify({ comment, type: type2, value }, ctx, onComment, onChompKeep) {
        if (!value)
          return "";
        const buf = value;
        let str2;
        if (typeof node_buffer.Buffer === "function") {
          str2 = buf instanceof node_buffer.Buffer ? buf.toString("base64") : node_buffer.Buffer.from(buf.buffer).toString("base64");
        } else if (typeof btoa === "function") {
          let s = "";
          for (let i = 0; i < buf.length; ++i)
            s += String.fromCharCode(buf[i]);
          str2 = btoa(s);
        } else {
          throw new Error("This environment does not support writing binary tags; either Buffer or btoa is required");
        }
        type2 ?? (type2 = Scalar.Scalar.BLOCK_LITERAL);
        if (type2 !== Scalar.Scalar.QUOTE_DOUBLE) {
          const lineWidth = Math.max(ctx.options.lineWidth - ctx.indent.length, ctx.options.minContentWidth);
          const n = Math.ceil(str2.length / lineWidth);
          const lines = new Array(n);
          for (let i = 0, o = 0; i < n; ++i, o += lineWidth) {
            lines[i] = str2.substr(o, lineWidth);
          }
          str2 = lines.join(type2 === Scalar.Scalar.BLOCK_LITERAL ? "\n" : " ");
        }
        return stringifyString.stringifyString({ comment, type: type2, value: str2 }, ctx, onComment, onChompKeep);
      }
    };
    exports.binary = binary2;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/pairs.js
var require_pairs = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/pairs.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Pair = require_Pair();
    var Scalar = require_Scalar();
    var YAMLSeq = require_YAMLSeq();
    function resolvePairs(seq2, onError) {
      if (identity.isSeq(seq2)) {
        for (let i = 0; i < seq2.items.length; ++i) {
          let item = seq2.items[i];
          if (identity.isPair(item))
            continue;
          else if (identity.isMap(item)) {
            if (item.items.length > 1)
              onError("Each pair must have its own sequence indicator");
            const pair = item.items[0] || new Pair.Pair(new Scalar.Scalar(null));
            if (item.commentBefore)
              pair.key.commentBefore = pair.key.commentBefore ? `${item.commentBefore}
${pair.key.commentBefore}` : item.commentBefore;
            if (item.comment) {
              const cn = pair.value ?? pair.key;
              cn.comment = cn.comment ? `${item.comment}
${cn.comment}` : item.comment;
            }
            item = pair;
          }
          seq2.items[i] = identity.isPair(item) ? item : new Pair.Pair(item);
        }
      } else
        onError("Expected a sequence for this tag");
      return seq2;
    }
    function createPairs(schema2, iterable, ctx) {
      const { replacer } = ctx;
      const pairs3 = new YAMLSeq.YAMLSeq(schema2);
      pairs3.tag = "tag:yaml.org,2002:pairs";
      let i = 0;
      if (iterable && Symbol.iterator in Object(iterable))
        for (let it of iterable) {
          if (typeof replacer === "function")
            it = replacer.call(iterable, String(i++), it);
          let key, value;
          if (Array.isArray(it)) {
            if (it.length === 2) {
              key = it[0];
              value = it[1];
            } else
              throw new TypeError(`Expected [key, value] tuple: ${it}`);
          } else if (it && it instanceof Object) {
            const keys = Object.keys(it);
            if (keys.length === 1) {
              key = keys[0];
              value = it[key];
            } else {
              throw new TypeError(`Expected tuple with one key, not ${keys.length} keys`);
            }
          } else {
            key = it;
          }
          pairs3.items.push(Pair.createPair(key, value, ctx));
        }
      return pairs3;
    }
    var pairs2 = {
      collection: "seq",
      default: false,
      tag: "tag:yaml.org,2002:pairs",
      resolve: resolvePairs,
      createNode: createPairs
    };
    exports.createPairs = createPairs;
    exports.pairs = pairs2;
    exports.resolvePairs = resolvePairs;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/omap.js
var require_omap = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/omap.js"(exports) {
    "use strict";
    var identity = require_identity();
    var toJS = require_toJS();
    var YAMLMap = require_YAMLMap();
    var YAMLSeq = require_YAMLSeq();
    var pairs2 = require_pairs();
    var YAMLOMap = class _YAMLOMap extends YAMLSeq.YAMLSeq {
      constructor() {
        super();
        this.add = YAMLMap.YAMLMap.prototype.add.bind(this);
        this.delete = YAMLMap.YAMLMap.prototype.delete.bind(this);
        this.get = YAMLMap.YAMLMap.prototype.get.bind(this);
        this.has = YAMLMap.YAMLMap.prototype.has.bind(this);
        this.set = YAMLMap.YAMLMap.prototype.set.bind(this);
        this.tag = _YAMLOMap.tag;
      }
      /**
       * If `ctx` is given, the return type is actually `Map<unknown, unknown>`,
       * but TypeScript won't allow widening the signature of a child method.
       */
      toJSON(_, ctx) {
        if (!ctx)
          return super.toJSON(_);
        const map2 = /* @__PURE__ */ new Map();
        if (ctx?.onCreate)
          ctx.onCreate(map2);
        for (const pair of this.items) {
          let key, value;
          if (identity.isPair(pair)) {
            key = toJS.toJS(pair.key, "", ctx);
            value = toJS.toJS(pair.value, key, ctx);
          } else {
            key = toJS.toJS(pair, "", ctx);
          }
          if (map2.has(key))
            throw new Error("Ordered maps must not include duplicate keys");
          map2.set(key, value);
        }
        return map2;
      }
      static from(schema2, iterable, ctx) {
        const pairs$1 = pairs2.createPairs(schema2, iterable, ctx);
        const omap3 = new this();
        omap3.items = pairs$1.items;
        return omap3;
      }
    };
    YAMLOMap.tag = "tag:yaml.org,2002:omap";
    var omap2 = {
      collection: "seq",
      identify: (value) => value instanceof Map,
      nodeClass: YAMLOMap,
      default: false,
      tag: "tag:yaml.org,2002:omap",
      resolve(seq2, onError) {
        const pairs$1 = pairs2.resolvePairs(seq2, onError);
        const seenKeys = [];
        for (const { key } of pairs$1.items) {
          if (identity.isScalar(key)) {
            if (seenKeys.includes(key.value)) {
              onError(`Ordered maps must not include duplicate keys: ${key.value}`);
            } else {
              seenKeys.push(key.value);
            }
          }
        }
        return Object.assign(new YAMLOMap(), pairs$1);
      },
      createNode: (schema2, iterable, ctx) => YAMLOMap.from(schema2, iterable, ctx)
    };
    exports.YAMLOMap = YAMLOMap;
    exports.omap = omap2;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/bool.js
var require_bool2 = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/bool.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    function boolStringify({ value, source }, ctx) {
      const boolObj = value ? trueTag : falseTag;
      if (source && boolObj.test.test(source))
        return source;
      return value ? ctx.options.trueStr : ctx.options.falseStr;
    }
    var trueTag = {
      identify: (value) => value === true,
      default: true,
      tag: "tag:yaml.org,2002:bool",
      test: /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
      resolve: () => new Scalar.Scalar(true),
      stringify: boolStringify
    };
    var falseTag = {
      identify: (value) => value === false,
      default: true,
      tag: "tag:yaml.org,2002:bool",
      test: /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
      resolve: () => new Scalar.Scalar(false),
      stringify: boolStringify
    };
    exports.falseTag = falseTag;
    exports.trueTag = trueTag;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/float.js
var require_float2 = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/float.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var stringifyNumber = require_stringifyNumber();
    var floatNaN = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
      resolve: (str2) => str2.slice(-3).toLowerCase() === "nan" ? NaN : str2[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
      stringify: stringifyNumber.stringifyNumber
    };
    var floatExp = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      format: "EXP",
      test: /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
      resolve: (str2) => parseFloat(str2.replace(/_/g, "")),
      stringify(node2) {
        const num = Number(node2.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node2);
      }
    };
    var float2 = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
      resolve(str2) {
        const node2 = new Scalar.Scalar(parseFloat(str2.replace(/_/g, "")));
        const dot = str2.indexOf(".");
        if (dot !== -1) {
          const f = str2.substring(dot + 1).replace(/_/g, "");
          if (f[f.length - 1] === "0")
            node2.minFractionDigits = f.length;
        }
        return node2;
      },
      stringify: stringifyNumber.stringifyNumber
    };
    exports.float = float2;
    exports.floatExp = floatExp;
    exports.floatNaN = floatNaN;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/int.js
var require_int2 = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/int.js"(exports) {
    "use strict";
    var stringifyNumber = require_stringifyNumber();
    var intIdentify = (value) => typeof value === "bigint" || Number.isInteger(value);
    function intResolve(str2, offset, radix, { intAsBigInt }) {
      const sign = str2[0];
      if (sign === "-" || sign === "+")
        offset += 1;
      str2 = str2.substring(offset).replace(/_/g, "");
      if (intAsBigInt) {
        switch (radix) {
          case 2:
            str2 = `0b${str2}`;
            break;
          case 8:
            str2 = `0o${str2}`;
            break;
          case 16:
            str2 = `0x${str2}`;
            break;
        }
        const n2 = BigInt(str2);
        return sign === "-" ? BigInt(-1) * n2 : n2;
      }
      const n = parseInt(str2, radix);
      return sign === "-" ? -1 * n : n;
    }
    function intStringify(node2, radix, prefix) {
      const { value } = node2;
      if (intIdentify(value)) {
        const str2 = value.toString(radix);
        return value < 0 ? "-" + prefix + str2.substr(1) : prefix + str2;
      }
      return stringifyNumber.stringifyNumber(node2);
    }
    var intBin = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "BIN",
      test: /^[-+]?0b[0-1_]+$/,
      resolve: (str2, _onError, opt) => intResolve(str2, 2, 2, opt),
      stringify: (node2) => intStringify(node2, 2, "0b")
    };
    var intOct = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "OCT",
      test: /^[-+]?0[0-7_]+$/,
      resolve: (str2, _onError, opt) => intResolve(str2, 1, 8, opt),
      stringify: (node2) => intStringify(node2, 8, "0")
    };
    var int2 = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      test: /^[-+]?[0-9][0-9_]*$/,
      resolve: (str2, _onError, opt) => intResolve(str2, 0, 10, opt),
      stringify: stringifyNumber.stringifyNumber
    };
    var intHex = {
      identify: intIdentify,
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "HEX",
      test: /^[-+]?0x[0-9a-fA-F_]+$/,
      resolve: (str2, _onError, opt) => intResolve(str2, 2, 16, opt),
      stringify: (node2) => intStringify(node2, 16, "0x")
    };
    exports.int = int2;
    exports.intBin = intBin;
    exports.intHex = intHex;
    exports.intOct = intOct;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/set.js
var require_set = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/set.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Pair = require_Pair();
    var YAMLMap = require_YAMLMap();
    var YAMLSet = class _YAMLSet extends YAMLMap.YAMLMap {
      constructor(schema2) {
        super(schema2);
        this.tag = _YAMLSet.tag;
      }
      add(key) {
        let pair;
        if (identity.isPair(key))
          pair = key;
        else if (key && typeof key === "object" && "key" in key && "value" in key && key.value === null)
          pair = new Pair.Pair(key.key, null);
        else
          pair = new Pair.Pair(key, null);
        const prev = YAMLMap.findPair(this.items, pair.key);
        if (!prev)
          this.items.push(pair);
      }
      /**
       * If `keepPair` is `true`, returns the Pair matching `key`.
       * Otherwise, returns the value of that Pair's key.
       */
      get(key, keepPair) {
        const pair = YAMLMap.findPair(this.items, key);
        return !keepPair && identity.isPair(pair) ? identity.isScalar(pair.key) ? pair.key.value : pair.key : pair;
      }
      set(key, value) {
        if (typeof value !== "boolean")
          throw new Error(`Expected boolean value for set(key, value) in a YAML set, not ${typeof value}`);
        const prev = YAMLMap.findPair(this.items, key);
        if (prev && !value) {
          this.items.splice(this.items.indexOf(prev), 1);
        } else if (!prev && value) {
          this.items.push(new Pair.Pair(key));
        }
      }
      toJSON(_, ctx) {
        return super.toJSON(_, ctx, Set);
      }
      toString(ctx, onComment, onChompKeep) {
        if (!ctx)
          return JSON.stringify(this);
        if (this.hasAllNullValues(true))
          return super.toString(Object.assign({}, ctx, { allNullValues: true }), onComment, onChompKeep);
        else
          throw new Error("Set items must all have null values");
      }
      static from(schema2, iterable, ctx) {
        const { replacer } = ctx;
        const set3 = new this(schema2);
        if (iterable && Symbol.iterator in Object(iterable))
          for (let value of iterable) {
            if (typeof replacer === "function")
              value = replacer.call(iterable, value, value);
            set3.items.push(Pair.createPair(value, null, ctx));
          }
        return set3;
      }
    };
    YAMLSet.tag = "tag:yaml.org,2002:set";
    var set2 = {
      collection: "map",
      identify: (value) => value instanceof Set,
      nodeClass: YAMLSet,
      default: false,
      tag: "tag:yaml.org,2002:set",
      createNode: (schema2, iterable, ctx) => YAMLSet.from(schema2, iterable, ctx),
      resolve(map2, onError) {
        if (identity.isMap(map2)) {
          if (map2.hasAllNullValues(true))
            return Object.assign(new YAMLSet(), map2);
          else
            onError("Set items must all have null values");
        } else
          onError("Expected a mapping for this tag");
        return map2;
      }
    };
    exports.YAMLSet = YAMLSet;
    exports.set = set2;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/timestamp.js
var require_timestamp = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/timestamp.js"(exports) {
    "use strict";
    var stringifyNumber = require_stringifyNumber();
    function parseSexagesimal(str2, asBigInt) {
      const sign = str2[0];
      const parts = sign === "-" || sign === "+" ? str2.substring(1) : str2;
      const num = (n) => asBigInt ? BigInt(n) : Number(n);
      const res = parts.replace(/_/g, "").split(":").reduce((res2, p) => res2 * num(60) + num(p), num(0));
      return sign === "-" ? num(-1) * res : res;
    }
    function stringifySexagesimal(node2) {
      let { value } = node2;
      let num = (n) => n;
      if (typeof value === "bigint")
        num = (n) => BigInt(n);
      else if (isNaN(value) || !isFinite(value))
        return stringifyNumber.stringifyNumber(node2);
      let sign = "";
      if (value < 0) {
        sign = "-";
        value *= num(-1);
      }
      const _60 = num(60);
      const parts = [value % _60];
      if (value < 60) {
        parts.unshift(0);
      } else {
        value = (value - parts[0]) / _60;
        parts.unshift(value % _60);
        if (value >= 60) {
          value = (value - parts[0]) / _60;
          parts.unshift(value);
        }
      }
      return sign + parts.map((n) => String(n).padStart(2, "0")).join(":").replace(/000000\d*$/, "");
    }
    var intTime = {
      identify: (value) => typeof value === "bigint" || Number.isInteger(value),
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "TIME",
      test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
      resolve: (str2, _onError, { intAsBigInt }) => parseSexagesimal(str2, intAsBigInt),
      stringify: stringifySexagesimal
    };
    var floatTime = {
      identify: (value) => typeof value === "number",
      default: true,
      tag: "tag:yaml.org,2002:float",
      format: "TIME",
      test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
      resolve: (str2) => parseSexagesimal(str2, false),
      stringify: stringifySexagesimal
    };
    var timestamp2 = {
      identify: (value) => value instanceof Date,
      default: true,
      tag: "tag:yaml.org,2002:timestamp",
      // If the time zone is omitted, the timestamp is assumed to be specified in UTC. The time part
      // may be omitted altogether, resulting in a date format. In such a case, the time part is
      // assumed to be 00:00:00Z (start of day, UTC).
      test: RegExp("^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:t|T|[ \\t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\\.[0-9]+)?)(?:[ \\t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$"),
      resolve(str2) {
        const match = str2.match(timestamp2.test);
        if (!match)
          throw new Error("!!timestamp expects a date, starting with yyyy-mm-dd");
        const [, year, month, day, hour, minute, second] = match.map(Number);
        const millisec = match[7] ? Number((match[7] + "00").substr(1, 3)) : 0;
        let date = Date.UTC(year, month - 1, day, hour || 0, minute || 0, second || 0, millisec);
        const tz = match[8];
        if (tz && tz !== "Z") {
          let d = parseSexagesimal(tz, false);
          if (Math.abs(d) < 30)
            d *= 60;
          date -= 6e4 * d;
        }
        return new Date(date);
      },
      stringify: ({ value }) => value?.toISOString().replace(/(T00:00:00)?\.000Z$/, "") ?? ""
    };
    exports.floatTime = floatTime;
    exports.intTime = intTime;
    exports.timestamp = timestamp2;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/yaml-1.1/schema.js
var require_schema3 = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/yaml-1.1/schema.js"(exports) {
    "use strict";
    var map2 = require_map();
    var _null2 = require_null2();
    var seq2 = require_seq();
    var string = require_string();
    var binary2 = require_binary();
    var bool3 = require_bool2();
    var float2 = require_float2();
    var int2 = require_int2();
    var merge2 = require_merge();
    var omap2 = require_omap();
    var pairs2 = require_pairs();
    var set2 = require_set();
    var timestamp2 = require_timestamp();
    var schema2 = [
      map2.map,
      seq2.seq,
      string.string,
      _null2.nullTag,
      bool3.trueTag,
      bool3.falseTag,
      int2.intBin,
      int2.intOct,
      int2.int,
      int2.intHex,
      float2.floatNaN,
      float2.floatExp,
      float2.float,
      binary2.binary,
      merge2.merge,
      omap2.omap,
      pairs2.pairs,
      set2.set,
      timestamp2.intTime,
      timestamp2.floatTime,
      timestamp2.timestamp
    ];
    exports.schema = schema2;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/tags.js
var require_tags = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/tags.js"(exports) {
    "use strict";
    var map2 = require_map();
    var _null2 = require_null2();
    var seq2 = require_seq();
    var string = require_string();
    var bool3 = require_bool();
    var float2 = require_float();
    var int2 = require_int();
    var schema2 = require_schema();
    var schema$1 = require_schema2();
    var binary2 = require_binary();
    var merge2 = require_merge();
    var omap2 = require_omap();
    var pairs2 = require_pairs();
    var schema$2 = require_schema3();
    var set2 = require_set();
    var timestamp2 = require_timestamp();
    var schemas = /* @__PURE__ */ new Map([
      ["core", schema2.schema],
      ["failsafe", [map2.map, seq2.seq, string.string]],
      ["json", schema$1.schema],
      ["yaml11", schema$2.schema],
      ["yaml-1.1", schema$2.schema]
    ]);
    var tagsByName = {
      binary: binary2.binary,
      bool: bool3.boolTag,
      float: float2.float,
      floatExp: float2.floatExp,
      floatNaN: float2.floatNaN,
      floatTime: timestamp2.floatTime,
      int: int2.int,
      intHex: int2.intHex,
      intOct: int2.intOct,
      intTime: timestamp2.intTime,
      map: map2.map,
      merge: merge2.merge,
      null: _null2.nullTag,
      omap: omap2.omap,
      pairs: pairs2.pairs,
      seq: seq2.seq,
      set: set2.set,
      timestamp: timestamp2.timestamp
    };
    var coreKnownTags = {
      "tag:yaml.org,2002:binary": binary2.binary,
      "tag:yaml.org,2002:merge": merge2.merge,
      "tag:yaml.org,2002:omap": omap2.omap,
      "tag:yaml.org,2002:pairs": pairs2.pairs,
      "tag:yaml.org,2002:set": set2.set,
      "tag:yaml.org,2002:timestamp": timestamp2.timestamp
    };
    function getTags(customTags, schemaName, addMergeTag) {
      const schemaTags = schemas.get(schemaName);
      if (schemaTags && !customTags) {
        return addMergeTag && !schemaTags.includes(merge2.merge) ? schemaTags.concat(merge2.merge) : schemaTags.slice();
      }
      let tags = schemaTags;
      if (!tags) {
        if (Array.isArray(customTags))
          tags = [];
        else {
          const keys = Array.from(schemas.keys()).filter((key) => key !== "yaml11").map((key) => JSON.stringify(key)).join(", ");
          throw new Error(`Unknown schema "${schemaName}"; use one of ${keys} or define customTags array`);
        }
      }
      if (Array.isArray(customTags)) {
        for (const tag of customTags)
          tags = tags.concat(tag);
      } else if (typeof customTags === "function") {
        tags = customTags(tags.slice());
      }
      if (addMergeTag)
        tags = tags.concat(merge2.merge);
      return tags.reduce((tags2, tag) => {
        const tagObj = typeof tag === "string" ? tagsByName[tag] : tag;
        if (!tagObj) {
          const tagName = JSON.stringify(tag);
          const keys = Object.keys(tagsByName).map((key) => JSON.stringify(key)).join(", ");
          throw new Error(`Unknown custom tag ${tagName}; use one of ${keys}`);
        }
        if (!tags2.includes(tagObj))
          tags2.push(tagObj);
        return tags2;
      }, []);
    }
    exports.coreKnownTags = coreKnownTags;
    exports.getTags = getTags;
  }
});

// ../../work/main/node_modules/yaml/dist/schema/Schema.js
var require_Schema = __commonJS({
  "../../work/main/node_modules/yaml/dist/schema/Schema.js"(exports) {
    "use strict";
    var identity = require_identity();
    var map2 = require_map();
    var seq2 = require_seq();
    var string = require_string();
    var tags = require_tags();
    var sortMapEntriesByKey = (a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    var Schema2 = class _Schema {
      constructor({ compat, customTags, merge: merge2, resolveKnownTags, schema: schema2, sortMapEntries, toStringDefaults }) {
        this.compat = Array.isArray(compat) ? tags.getTags(compat, "compat") : compat ? tags.getTags(null, compat) : null;
        this.name = typeof schema2 === "string" && schema2 || "core";
        this.knownTags = resolveKnownTags ? tags.coreKnownTags : {};
        this.tags = tags.getTags(customTags, this.name, merge2);
        this.toStringOptions = toStringDefaults ?? null;
        Object.defineProperty(this, identity.MAP, { value: map2.map });
        Object.defineProperty(this, identity.SCALAR, { value: string.string });
        Object.defineProperty(this, identity.SEQ, { value: seq2.seq });
        this.sortMapEntries = typeof sortMapEntries === "function" ? sortMapEntries : sortMapEntries === true ? sortMapEntriesByKey : null;
      }
      clone() {
        const copy = Object.create(_Schema.prototype, Object.getOwnPropertyDescriptors(this));
        copy.tags = this.tags.slice();
        return copy;
      }
    };
    exports.Schema = Schema2;
  }
});

// ../../work/main/node_modules/yaml/dist/stringify/stringifyDocument.js
var require_stringifyDocument = __commonJS({
  "../../work/main/node_modules/yaml/dist/stringify/stringifyDocument.js"(exports) {
    "use strict";
    var identity = require_identity();
    var stringify = require_stringify();
    var stringifyComment = require_stringifyComment();
    function stringifyDocument(doc, options) {
      const lines = [];
      let hasDirectives = options.directives === true;
      if (options.directives !== false && doc.directives) {
        const dir = doc.directives.toString(doc);
        if (dir) {
          lines.push(dir);
          hasDirectives = true;
        } else if (doc.directives.docStart)
          hasDirectives = true;
      }
      if (hasDirectives)
        lines.push("---");
      const ctx = stringify.createStringifyContext(doc, options);
      const { commentString } = ctx.options;
      if (doc.commentBefore) {
        if (lines.length !== 1)
          lines.unshift("");
        const cs = commentString(doc.commentBefore);
        lines.unshift(stringifyComment.indentComment(cs, ""));
      }
      let chompKeep = false;
      let contentComment = null;
      if (doc.contents) {
        if (identity.isNode(doc.contents)) {
          if (doc.contents.spaceBefore && hasDirectives)
            lines.push("");
          if (doc.contents.commentBefore) {
            const cs = commentString(doc.contents.commentBefore);
            lines.push(stringifyComment.indentComment(cs, ""));
          }
          ctx.forceBlockIndent = !!doc.comment;
          contentComment = doc.contents.comment;
        }
        const onChompKeep = contentComment ? void 0 : () => chompKeep = true;
        let body = stringify.stringify(doc.contents, ctx, () => contentComment = null, onChompKeep);
        if (contentComment)
          body += stringifyComment.lineComment(body, "", commentString(contentComment));
        if ((body[0] === "|" || body[0] === ">") && lines[lines.length - 1] === "---") {
          lines[lines.length - 1] = `--- ${body}`;
        } else
          lines.push(body);
      } else {
        lines.push(stringify.stringify(doc.contents, ctx));
      }
      if (doc.directives?.docEnd) {
        if (doc.comment) {
          const cs = commentString(doc.comment);
          if (cs.includes("\n")) {
            lines.push("...");
            lines.push(stringifyComment.indentComment(cs, ""));
          } else {
            lines.push(`... ${cs}`);
          }
        } else {
          lines.push("...");
        }
      } else {
        let dc = doc.comment;
        if (dc && chompKeep)
          dc = dc.replace(/^\n+/, "");
        if (dc) {
          if ((!chompKeep || contentComment) && lines[lines.length - 1] !== "")
            lines.push("");
          lines.push(stringifyComment.indentComment(commentString(dc), ""));
        }
      }
      return lines.join("\n") + "\n";
    }
    exports.stringifyDocument = stringifyDocument;
  }
});

// ../../work/main/node_modules/yaml/dist/doc/Document.js
var require_Document = __commonJS({
  "../../work/main/node_modules/yaml/dist/doc/Document.js"(exports) {
    "use strict";
    var Alias = require_Alias();
    var Collection = require_Collection();
    var identity = require_identity();
    var Pair = require_Pair();
    var toJS = require_toJS();
    var Schema2 = require_Schema();
    var stringifyDocument = require_stringifyDocument();
    var anchors = require_anchors();
    var applyReviver = require_applyReviver();
    var createNode = require_createNode();
    var directives = require_directives();
    var Document = class _Document {
      constructor(value, replacer, options) {
        this.commentBefore = null;
        this.comment = null;
        this.errors = [];
        this.warnings = [];
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.DOC });
        let _replacer = null;
        if (typeof replacer === "function" || Array.isArray(replacer)) {
          _replacer = replacer;
        } else if (options === void 0 && replacer) {
          options = replacer;
          replacer = void 0;
        }
        const opt = Object.assign({
          intAsBigInt: false,
          keepSourceTokens: false,
          logLevel: "warn",
          prettyErrors: true,
          strict: true,
          stringKeys: false,
          uniqueKeys: true,
          version: "1.2"
        }, options);
        this.options = opt;
        let { version } = opt;
        if (options?._directives) {
          this.directives = options._directives.atDocument();
          if (this.directives.yaml.explicit)
            version = this.directives.yaml.version;
        } else
          this.directives = new directives.Directives({ version });
        this.setSchema(version, options);
        this.contents = value === void 0 ? null : this.createNode(value, _replacer, options);
      }
      /**
       * Create a deep copy of this Document and its contents.
       *
       * Custom Node values that inherit from `Object` still refer to their original instances.
       */
      clone() {
        const copy = Object.create(_Document.prototype, {
          [identity.NODE_TYPE]: { value: identity.DOC }
        });
        copy.commentBefore = this.commentBefore;
        copy.comment = this.comment;
        copy.errors = this.errors.slice();
        copy.warnings = this.warnings.slice();
        copy.options = Object.assign({}, this.options);
        if (this.directives)
          copy.directives = this.directives.clone();
        copy.schema = this.schema.clone();
        copy.contents = identity.isNode(this.contents) ? this.contents.clone(copy.schema) : this.contents;
        if (this.range)
          copy.range = this.range.slice();
        return copy;
      }
      /** Adds a value to the document. */
      add(value) {
        if (assertCollection(this.contents))
          this.contents.add(value);
      }
      /** Adds a value to the document. */
      addIn(path, value) {
        if (assertCollection(this.contents))
          this.contents.addIn(path, value);
      }
      /**
       * Create a new `Alias` node, ensuring that the target `node` has the required anchor.
       *
       * If `node` already has an anchor, `name` is ignored.
       * Otherwise, the `node.anchor` value will be set to `name`,
       * or if an anchor with that name is already present in the document,
       * `name` will be used as a prefix for a new unique anchor.
       * If `name` is undefined, the generated anchor will use 'a' as a prefix.
       */
      createAlias(node2, name) {
        if (!node2.anchor) {
          const prev = anchors.anchorNames(this);
          node2.anchor = // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
          !name || prev.has(name) ? anchors.findNewAnchor(name || "a", prev) : name;
        }
        return new Alias.Alias(node2.anchor);
      }
      createNode(value, replacer, options) {
        let _replacer = void 0;
        if (typeof replacer === "function") {
          value = replacer.call({ "": value }, "", value);
          _replacer = replacer;
        } else if (Array.isArray(replacer)) {
          const keyToStr = (v) => typeof v === "number" || v instanceof String || v instanceof Number;
          const asStr = replacer.filter(keyToStr).map(String);
          if (asStr.length > 0)
            replacer = replacer.concat(asStr);
          _replacer = replacer;
        } else if (options === void 0 && replacer) {
          options = replacer;
          replacer = void 0;
        }
        const { aliasDuplicateObjects, anchorPrefix, flow, keepUndefined, onTagObj, tag } = options ?? {};
        const { onAnchor, setAnchors, sourceObjects } = anchors.createNodeAnchors(
          this,
          // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
          anchorPrefix || "a"
        );
        const ctx = {
          aliasDuplicateObjects: aliasDuplicateObjects ?? true,
          keepUndefined: keepUndefined ?? false,
          onAnchor,
          onTagObj,
          replacer: _replacer,
          schema: this.schema,
          sourceObjects
        };
        const node2 = createNode.createNode(value, tag, ctx);
        if (flow && identity.isCollection(node2))
          node2.flow = true;
        setAnchors();
        return node2;
      }
      /**
       * Convert a key and a value into a `Pair` using the current schema,
       * recursively wrapping all values as `Scalar` or `Collection` nodes.
       */
      createPair(key, value, options = {}) {
        const k = this.createNode(key, null, options);
        const v = this.createNode(value, null, options);
        return new Pair.Pair(k, v);
      }
      /**
       * Removes a value from the document.
       * @returns `true` if the item was found and removed.
       */
      delete(key) {
        return assertCollection(this.contents) ? this.contents.delete(key) : false;
      }
      /**
       * Removes a value from the document.
       * @returns `true` if the item was found and removed.
       */
      deleteIn(path) {
        if (Collection.isEmptyPath(path)) {
          if (this.contents == null)
            return false;
          this.contents = null;
          return true;
        }
        return assertCollection(this.contents) ? this.contents.deleteIn(path) : false;
      }
      /**
       * Returns item at `key`, or `undefined` if not found. By default unwraps
       * scalar values from their surrounding node; to disable set `keepScalar` to
       * `true` (collections are always returned intact).
       */
      get(key, keepScalar) {
        return identity.isCollection(this.contents) ? this.contents.get(key, keepScalar) : void 0;
      }
      /**
       * Returns item at `path`, or `undefined` if not found. By default unwraps
       * scalar values from their surrounding node; to disable set `keepScalar` to
       * `true` (collections are always returned intact).
       */
      getIn(path, keepScalar) {
        if (Collection.isEmptyPath(path))
          return !keepScalar && identity.isScalar(this.contents) ? this.contents.value : this.contents;
        return identity.isCollection(this.contents) ? this.contents.getIn(path, keepScalar) : void 0;
      }
      /**
       * Checks if the document includes a value with the key `key`.
       */
      has(key) {
        return identity.isCollection(this.contents) ? this.contents.has(key) : false;
      }
      /**
       * Checks if the document includes a value at `path`.
       */
      hasIn(path) {
        if (Collection.isEmptyPath(path))
          return this.contents !== void 0;
        return identity.isCollection(this.contents) ? this.contents.hasIn(path) : false;
      }
      /**
       * Sets a value in this document. For `!!set`, `value` needs to be a
       * boolean to add/remove the item from the set.
       */
      set(key, value) {
        if (this.contents == null) {
          this.contents = Collection.collectionFromPath(this.schema, [key], value);
        } else if (assertCollection(this.contents)) {
          this.contents.set(key, value);
        }
      }
      /**
       * Sets a value in this document. For `!!set`, `value` needs to be a
       * boolean to add/remove the item from the set.
       */
      setIn(path, value) {
        if (Collection.isEmptyPath(path)) {
          this.contents = value;
        } else if (this.contents == null) {
          this.contents = Collection.collectionFromPath(this.schema, Array.from(path), value);
        } else if (assertCollection(this.contents)) {
          this.contents.setIn(path, value);
        }
      }
      /**
       * Change the YAML version and schema used by the document.
       * A `null` version disables support for directives, explicit tags, anchors, and aliases.
       * It also requires the `schema` option to be given as a `Schema` instance value.
       *
       * Overrides all previously set schema options.
       */
      setSchema(version, options = {}) {
        if (typeof version === "number")
          version = String(version);
        let opt;
        switch (version) {
          case "1.1":
            if (this.directives)
              this.directives.yaml.version = "1.1";
            else
              this.directives = new directives.Directives({ version: "1.1" });
            opt = { resolveKnownTags: false, schema: "yaml-1.1" };
            break;
          case "1.2":
          case "next":
            if (this.directives)
              this.directives.yaml.version = version;
            else
              this.directives = new directives.Directives({ version });
            opt = { resolveKnownTags: true, schema: "core" };
            break;
          case null:
            if (this.directives)
              delete this.directives;
            opt = null;
            break;
          default: {
            const sv = JSON.stringify(version);
            throw new Error(`Expected '1.1', '1.2' or null as first argument, but found: ${sv}`);
          }
        }
        if (options.schema instanceof Object)
          this.schema = options.schema;
        else if (opt)
          this.schema = new Schema2.Schema(Object.assign(opt, options));
        else
          throw new Error(`With a null YAML version, the { schema: Schema } option is required`);
      }
      // json & jsonArg are only used from toJSON()
      toJS({ json: json2, jsonArg, mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        const ctx = {
          anchors: /* @__PURE__ */ new Map(),
          doc: this,
          keep: !json2,
          mapAsMap: mapAsMap === true,
          mapKeyWarned: false,
          maxAliasCount: typeof maxAliasCount === "number" ? maxAliasCount : 100
        };
        const res = toJS.toJS(this.contents, jsonArg ?? "", ctx);
        if (typeof onAnchor === "function")
          for (const { count, res: res2 } of ctx.anchors.values())
            onAnchor(res2, count);
        return typeof reviver === "function" ? applyReviver.applyReviver(reviver, { "": res }, "", res) : res;
      }
      /**
       * A JSON representation of the document `contents`.
       *
       * @param jsonArg Used by `JSON.stringify` to indicate the array index or
       *   property name.
       */
      toJSON(jsonArg, onAnchor) {
        return this.toJS({ json: true, jsonArg, mapAsMap: false, onAnchor });
      }
      /** A YAML representation of the document. */
      toString(options = {}) {
        if (this.errors.length > 0)
          throw new Error("Document with errors cannot be stringified");
        if ("indent" in options && (!Number.isInteger(options.indent) || Number(options.indent) <= 0)) {
          const s = JSON.stringify(options.indent);
          throw new Error(`"indent" option must be a positive integer, not ${s}`);
        }
        return stringifyDocument.stringifyDocument(this, options);
      }
    };
    function assertCollection(contents) {
      if (identity.isCollection(contents))
        return true;
      throw new Error("Expected a YAML collection as document contents");
    }
    exports.Document = Document;
  }
});

// ../../work/main/node_modules/yaml/dist/errors.js
var require_errors2 = __commonJS({
  "../../work/main/node_modules/yaml/dist/errors.js"(exports) {
    "use strict";
    var YAMLError = class extends Error {
      constructor(name, pos, code, message) {
        super();
        this.name = name;
        this.code = code;
        this.message = message;
        this.pos = pos;
      }
    };
    var YAMLParseError = class extends YAMLError {
      constructor(pos, code, message) {
        super("YAMLParseError", pos, code, message);
      }
    };
    var YAMLWarning = class extends YAMLError {
      constructor(pos, code, message) {
        super("YAMLWarning", pos, code, message);
      }
    };
    var prettifyError = (src, lc) => (error) => {
      if (error.pos[0] === -1)
        return;
      error.linePos = error.pos.map((pos) => lc.linePos(pos));
      const { line: line3, col } = error.linePos[0];
      error.message += ` at line ${line3}, column ${col}`;
      let ci = col - 1;
      let lineStr = src.substring(lc.lineStarts[line3 - 1], lc.lineStarts[line3]).replace(/[\n\r]+$/, "");
      if (ci >= 60 && lineStr.length > 80) {
        const trimStart = Math.min(ci - 39, lineStr.length - 79);
        lineStr = "\u2026" + lineStr.substring(trimStart);
        ci -= trimStart - 1;
      }
      if (lineStr.length > 80)
        lineStr = lineStr.substring(0, 79) + "\u2026";
      if (line3 > 1 && /^ *$/.test(lineStr.substring(0, ci))) {
        let prev = src.substring(lc.lineStarts[line3 - 2], lc.lineStarts[line3 - 1]);
        if (prev.length > 80)
          prev = prev.substring(0, 79) + "\u2026\n";
        lineStr = prev + lineStr;
      }
      if (/[^ ]/.test(lineStr)) {
        let count = 1;
        const end = error.linePos[1];
        if (end?.line === line3 && end.col > col) {
          count = Math.max(1, Math.min(end.col - col, 80 - ci));
        }
        const pointer2 = " ".repeat(ci) + "^".repeat(count);
        error.message += `:

${lineStr}
${pointer2}
`;
      }
    };
    exports.YAMLError = YAMLError;
    exports.YAMLParseError = YAMLParseError;
    exports.YAMLWarning = YAMLWarning;
    exports.prettifyError = prettifyError;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/resolve-props.js
var require_resolve_props = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/resolve-props.js"(exports) {
    "use strict";
    function resolveProps(tokens, { flow, indicator, next, offset, onError, parentIndent, startOnNewline }) {
      let spaceBefore = false;
      let atNewline = startOnNewline;
      let hasSpace = startOnNewline;
      let comment = "";
      let commentSep = "";
      let hasNewline = false;
      let reqSpace = false;
      let tab = null;
      let anchor = null;
      let tag = null;
      let newlineAfterProp = null;
      let comma = null;
      let found = null;
      let start = null;
      for (const token of tokens) {
        if (reqSpace) {
          if (token.type !== "space" && token.type !== "newline" && token.type !== "comma")
            onError(token.offset, "MISSING_CHAR", "Tags and anchors must be separated from the next token by white space");
          reqSpace = false;
        }
        if (tab) {
          if (atNewline && token.type !== "comment" && token.type !== "newline") {
            onError(tab, "TAB_AS_INDENT", "Tabs are not allowed as indentation");
          }
          tab = null;
        }
        switch (token.type) {
          case "space":
            if (!flow && (indicator !== "doc-start" || next?.type !== "flow-collection") && token.source.includes("	")) {
              tab = token;
            }
            hasSpace = true;
            break;
          case "comment": {
            if (!hasSpace)
              onError(token, "MISSING_CHAR", "Comments must be separated from other tokens by white space characters");
            const cb = token.source.substring(1) || " ";
            if (!comment)
              comment = cb;
            else
              comment += commentSep + cb;
            commentSep = "";
            atNewline = false;
            break;
          }
          case "newline":
            if (atNewline) {
              if (comment)
                comment += token.source;
              else if (!found || indicator !== "seq-item-ind")
                spaceBefore = true;
            } else
              commentSep += token.source;
            atNewline = true;
            hasNewline = true;
            if (anchor || tag)
              newlineAfterProp = token;
            hasSpace = true;
            break;
          case "anchor":
            if (anchor)
              onError(token, "MULTIPLE_ANCHORS", "A node can have at most one anchor");
            if (token.source.endsWith(":"))
              onError(token.offset + token.source.length - 1, "BAD_ALIAS", "Anchor ending in : is ambiguous", true);
            anchor = token;
            start ?? (start = token.offset);
            atNewline = false;
            hasSpace = false;
            reqSpace = true;
            break;
          case "tag": {
            if (tag)
              onError(token, "MULTIPLE_TAGS", "A node can have at most one tag");
            tag = token;
            start ?? (start = token.offset);
            atNewline = false;
            hasSpace = false;
            reqSpace = true;
            break;
          }
          case indicator:
            if (anchor || tag)
              onError(token, "BAD_PROP_ORDER", `Anchors and tags must be after the ${token.source} indicator`);
            if (found)
              onError(token, "UNEXPECTED_TOKEN", `Unexpected ${token.source} in ${flow ?? "collection"}`);
            found = token;
            atNewline = indicator === "seq-item-ind" || indicator === "explicit-key-ind";
            hasSpace = false;
            break;
          case "comma":
            if (flow) {
              if (comma)
                onError(token, "UNEXPECTED_TOKEN", `Unexpected , in ${flow}`);
              comma = token;
              atNewline = false;
              hasSpace = false;
              break;
            }
          // else fallthrough
          default:
            onError(token, "UNEXPECTED_TOKEN", `Unexpected ${token.type} token`);
            atNewline = false;
            hasSpace = false;
        }
      }
      const last = tokens[tokens.length - 1];
      const end = last ? last.offset + last.source.length : offset;
      if (reqSpace && next && next.type !== "space" && next.type !== "newline" && next.type !== "comma" && (next.type !== "scalar" || next.source !== "")) {
        onError(next.offset, "MISSING_CHAR", "Tags and anchors must be separated from the next token by white space");
      }
      if (tab && (atNewline && tab.indent <= parentIndent || next?.type === "block-map" || next?.type === "block-seq"))
        onError(tab, "TAB_AS_INDENT", "Tabs are not allowed as indentation");
      return {
        comma,
        found,
        spaceBefore,
        comment,
        hasNewline,
        anchor,
        tag,
        newlineAfterProp,
        end,
        start: start ?? end
      };
    }
    exports.resolveProps = resolveProps;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/util-contains-newline.js
var require_util_contains_newline = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/util-contains-newline.js"(exports) {
    "use strict";
    function containsNewline(key) {
      if (!key)
        return null;
      switch (key.type) {
        case "alias":
        case "scalar":
        case "double-quoted-scalar":
        case "single-quoted-scalar":
          if (key.source.includes("\n"))
            return true;
          if (key.end) {
            for (const st of key.end)
              if (st.type === "newline")
                return true;
          }
          return false;
        case "flow-collection":
          for (const it of key.items) {
            for (const st of it.start)
              if (st.type === "newline")
                return true;
            if (it.sep) {
              for (const st of it.sep)
                if (st.type === "newline")
                  return true;
            }
            if (containsNewline(it.key) || containsNewline(it.value))
              return true;
          }
          return false;
        default:
          return true;
      }
    }
    exports.containsNewline = containsNewline;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/util-flow-indent-check.js
var require_util_flow_indent_check = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/util-flow-indent-check.js"(exports) {
    "use strict";
    var utilContainsNewline = require_util_contains_newline();
    function flowIndentCheck(indent, fc, onError) {
      if (fc?.type === "flow-collection") {
        const end = fc.end[0];
        if (end.indent === indent && (end.source === "]" || end.source === "}") && utilContainsNewline.containsNewline(fc)) {
          const msg = "Flow end indicator should be more indented than parent";
          onError(end, "BAD_INDENT", msg, true);
        }
      }
    }
    exports.flowIndentCheck = flowIndentCheck;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/util-map-includes.js
var require_util_map_includes = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/util-map-includes.js"(exports) {
    "use strict";
    var identity = require_identity();
    function mapIncludes(ctx, items, search) {
      const { uniqueKeys } = ctx.options;
      if (uniqueKeys === false)
        return false;
      const isEqual = typeof uniqueKeys === "function" ? uniqueKeys : (a, b) => a === b || identity.isScalar(a) && identity.isScalar(b) && a.value === b.value;
      return items.some((pair) => isEqual(pair.key, search));
    }
    exports.mapIncludes = mapIncludes;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/resolve-block-map.js
var require_resolve_block_map = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/resolve-block-map.js"(exports) {
    "use strict";
    var Pair = require_Pair();
    var YAMLMap = require_YAMLMap();
    var resolveProps = require_resolve_props();
    var utilContainsNewline = require_util_contains_newline();
    var utilFlowIndentCheck = require_util_flow_indent_check();
    var utilMapIncludes = require_util_map_includes();
    var startColMsg = "All mapping items must start at the same column";
    function resolveBlockMap({ composeNode, composeEmptyNode }, ctx, bm, onError, tag) {
      const NodeClass = tag?.nodeClass ?? YAMLMap.YAMLMap;
      const map2 = new NodeClass(ctx.schema);
      if (ctx.atRoot)
        ctx.atRoot = false;
      let offset = bm.offset;
      let commentEnd = null;
      for (const collItem of bm.items) {
        const { start, key, sep, value } = collItem;
        const keyProps = resolveProps.resolveProps(start, {
          indicator: "explicit-key-ind",
          next: key ?? sep?.[0],
          offset,
          onError,
          parentIndent: bm.indent,
          startOnNewline: true
        });
        const implicitKey = !keyProps.found;
        if (implicitKey) {
          if (key) {
            if (key.type === "block-seq")
              onError(offset, "BLOCK_AS_IMPLICIT_KEY", "A block sequence may not be used as an implicit map key");
            else if ("indent" in key && key.indent !== bm.indent)
              onError(offset, "BAD_INDENT", startColMsg);
          }
          if (!keyProps.anchor && !keyProps.tag && !sep) {
            commentEnd = keyProps.end;
            if (keyProps.comment) {
              if (map2.comment)
                map2.comment += "\n" + keyProps.comment;
              else
                map2.comment = keyProps.comment;
            }
            continue;
          }
          if (keyProps.newlineAfterProp || utilContainsNewline.containsNewline(key)) {
            onError(key ?? start[start.length - 1], "MULTILINE_IMPLICIT_KEY", "Implicit keys need to be on a single line");
          }
        } else if (keyProps.found?.indent !== bm.indent) {
          onError(offset, "BAD_INDENT", startColMsg);
        }
        ctx.atKey = true;
        const keyStart = keyProps.end;
        const keyNode = key ? composeNode(ctx, key, keyProps, onError) : composeEmptyNode(ctx, keyStart, start, null, keyProps, onError);
        if (ctx.schema.compat)
          utilFlowIndentCheck.flowIndentCheck(bm.indent, key, onError);
        ctx.atKey = false;
        if (utilMapIncludes.mapIncludes(ctx, map2.items, keyNode))
          onError(keyStart, "DUPLICATE_KEY", "Map keys must be unique");
        const valueProps = resolveProps.resolveProps(sep ?? [], {
          indicator: "map-value-ind",
          next: value,
          offset: keyNode.range[2],
          onError,
          parentIndent: bm.indent,
          startOnNewline: !key || key.type === "block-scalar"
        });
        offset = valueProps.end;
        if (valueProps.found) {
          if (implicitKey) {
            if (value?.type === "block-map" && !valueProps.hasNewline)
              onError(offset, "BLOCK_AS_IMPLICIT_KEY", "Nested mappings are not allowed in compact mappings");
            if (ctx.options.strict && keyProps.start < valueProps.found.offset - 1024)
              onError(keyNode.range, "KEY_OVER_1024_CHARS", "The : indicator must be at most 1024 chars after the start of an implicit block mapping key");
          }
          const valueNode = value ? composeNode(ctx, value, valueProps, onError) : composeEmptyNode(ctx, offset, sep, null, valueProps, onError);
          if (ctx.schema.compat)
            utilFlowIndentCheck.flowIndentCheck(bm.indent, value, onError);
          offset = valueNode.range[2];
          const pair = new Pair.Pair(keyNode, valueNode);
          if (ctx.options.keepSourceTokens)
            pair.srcToken = collItem;
          map2.items.push(pair);
        } else {
          if (implicitKey)
            onError(keyNode.range, "MISSING_CHAR", "Implicit map keys need to be followed by map values");
          if (valueProps.comment) {
            if (keyNode.comment)
              keyNode.comment += "\n" + valueProps.comment;
            else
              keyNode.comment = valueProps.comment;
          }
          const pair = new Pair.Pair(keyNode);
          if (ctx.options.keepSourceTokens)
            pair.srcToken = collItem;
          map2.items.push(pair);
        }
      }
      if (commentEnd && commentEnd < offset)
        onError(commentEnd, "IMPOSSIBLE", "Map comment with trailing content");
      map2.range = [bm.offset, offset, commentEnd ?? offset];
      return map2;
    }
    exports.resolveBlockMap = resolveBlockMap;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/resolve-block-seq.js
var require_resolve_block_seq = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/resolve-block-seq.js"(exports) {
    "use strict";
    var YAMLSeq = require_YAMLSeq();
    var resolveProps = require_resolve_props();
    var utilFlowIndentCheck = require_util_flow_indent_check();
    function resolveBlockSeq({ composeNode, composeEmptyNode }, ctx, bs, onError, tag) {
      const NodeClass = tag?.nodeClass ?? YAMLSeq.YAMLSeq;
      const seq2 = new NodeClass(ctx.schema);
      if (ctx.atRoot)
        ctx.atRoot = false;
      if (ctx.atKey)
        ctx.atKey = false;
      let offset = bs.offset;
      let commentEnd = null;
      for (const { start, value } of bs.items) {
        const props = resolveProps.resolveProps(start, {
          indicator: "seq-item-ind",
          next: value,
          offset,
          onError,
          parentIndent: bs.indent,
          startOnNewline: true
        });
        if (!props.found) {
          if (props.anchor || props.tag || value) {
            if (value?.type === "block-seq")
              onError(props.end, "BAD_INDENT", "All sequence items must start at the same column");
            else
              onError(offset, "MISSING_CHAR", "Sequence item without - indicator");
          } else {
            commentEnd = props.end;
            if (props.comment)
              seq2.comment = props.comment;
            continue;
          }
        }
        const node2 = value ? composeNode(ctx, value, props, onError) : composeEmptyNode(ctx, props.end, start, null, props, onError);
        if (ctx.schema.compat)
          utilFlowIndentCheck.flowIndentCheck(bs.indent, value, onError);
        offset = node2.range[2];
        seq2.items.push(node2);
      }
      seq2.range = [bs.offset, offset, commentEnd ?? offset];
      return seq2;
    }
    exports.resolveBlockSeq = resolveBlockSeq;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/resolve-end.js
var require_resolve_end = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/resolve-end.js"(exports) {
    "use strict";
    function resolveEnd(end, offset, reqSpace, onError) {
      let comment = "";
      if (end) {
        let hasSpace = false;
        let sep = "";
        for (const token of end) {
          const { source, type: type2 } = token;
          switch (type2) {
            case "space":
              hasSpace = true;
              break;
            case "comment": {
              if (reqSpace && !hasSpace)
                onError(token, "MISSING_CHAR", "Comments must be separated from other tokens by white space characters");
              const cb = source.substring(1) || " ";
              if (!comment)
                comment = cb;
              else
                comment += sep + cb;
              sep = "";
              break;
            }
            case "newline":
              if (comment)
                sep += source;
              hasSpace = true;
              break;
            default:
              onError(token, "UNEXPECTED_TOKEN", `Unexpected ${type2} at node end`);
          }
          offset += source.length;
        }
      }
      return { comment, offset };
    }
    exports.resolveEnd = resolveEnd;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/resolve-flow-collection.js
var require_resolve_flow_collection = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/resolve-flow-collection.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Pair = require_Pair();
    var YAMLMap = require_YAMLMap();
    var YAMLSeq = require_YAMLSeq();
    var resolveEnd = require_resolve_end();
    var resolveProps = require_resolve_props();
    var utilContainsNewline = require_util_contains_newline();
    var utilMapIncludes = require_util_map_includes();
    var blockMsg = "Block collections are not allowed within flow collections";
    var isBlock = (token) => token && (token.type === "block-map" || token.type === "block-seq");
    function resolveFlowCollection({ composeNode, composeEmptyNode }, ctx, fc, onError, tag) {
      const isMap2 = fc.start.source === "{";
      const fcName = isMap2 ? "flow map" : "flow sequence";
      const NodeClass = tag?.nodeClass ?? (isMap2 ? YAMLMap.YAMLMap : YAMLSeq.YAMLSeq);
      const coll = new NodeClass(ctx.schema);
      coll.flow = true;
      const atRoot = ctx.atRoot;
      if (atRoot)
        ctx.atRoot = false;
      if (ctx.atKey)
        ctx.atKey = false;
      let offset = fc.offset + fc.start.source.length;
      for (let i = 0; i < fc.items.length; ++i) {
        const collItem = fc.items[i];
        const { start, key, sep, value } = collItem;
        const props = resolveProps.resolveProps(start, {
          flow: fcName,
          indicator: "explicit-key-ind",
          next: key ?? sep?.[0],
          offset,
          onError,
          parentIndent: fc.indent,
          startOnNewline: false
        });
        if (!props.found) {
          if (!props.anchor && !props.tag && !sep && !value) {
            if (i === 0 && props.comma)
              onError(props.comma, "UNEXPECTED_TOKEN", `Unexpected , in ${fcName}`);
            else if (i < fc.items.length - 1)
              onError(props.start, "UNEXPECTED_TOKEN", `Unexpected empty item in ${fcName}`);
            if (props.comment) {
              if (coll.comment)
                coll.comment += "\n" + props.comment;
              else
                coll.comment = props.comment;
            }
            offset = props.end;
            continue;
          }
          if (!isMap2 && ctx.options.strict && utilContainsNewline.containsNewline(key))
            onError(
              key,
              // checked by containsNewline()
              "MULTILINE_IMPLICIT_KEY",
              "Implicit keys of flow sequence pairs need to be on a single line"
            );
        }
        if (i === 0) {
          if (props.comma)
            onError(props.comma, "UNEXPECTED_TOKEN", `Unexpected , in ${fcName}`);
        } else {
          if (!props.comma)
            onError(props.start, "MISSING_CHAR", `Missing , between ${fcName} items`);
          if (props.comment) {
            let prevItemComment = "";
            loop: for (const st of start) {
              switch (st.type) {
                case "comma":
                case "space":
                  break;
                case "comment":
                  prevItemComment = st.source.substring(1);
                  break loop;
                default:
                  break loop;
              }
            }
            if (prevItemComment) {
              let prev = coll.items[coll.items.length - 1];
              if (identity.isPair(prev))
                prev = prev.value ?? prev.key;
              if (prev.comment)
                prev.comment += "\n" + prevItemComment;
              else
                prev.comment = prevItemComment;
              props.comment = props.comment.substring(prevItemComment.length + 1);
            }
          }
        }
        if (!isMap2 && !sep && !props.found) {
          const valueNode = value ? composeNode(ctx, value, props, onError) : composeEmptyNode(ctx, props.end, sep, null, props, onError);
          coll.items.push(valueNode);
          offset = valueNode.range[2];
          if (isBlock(value))
            onError(valueNode.range, "BLOCK_IN_FLOW", blockMsg);
        } else {
          ctx.atKey = true;
          const keyStart = props.end;
          const keyNode = key ? composeNode(ctx, key, props, onError) : composeEmptyNode(ctx, keyStart, start, null, props, onError);
          if (isBlock(key))
            onError(keyNode.range, "BLOCK_IN_FLOW", blockMsg);
          ctx.atKey = false;
          const valueProps = resolveProps.resolveProps(sep ?? [], {
            flow: fcName,
            indicator: "map-value-ind",
            next: value,
            offset: keyNode.range[2],
            onError,
            parentIndent: fc.indent,
            startOnNewline: false
          });
          if (valueProps.found) {
            if (!isMap2 && !props.found && ctx.options.strict) {
              if (sep)
                for (const st of sep) {
                  if (st === valueProps.found)
                    break;
                  if (st.type === "newline") {
                    onError(st, "MULTILINE_IMPLICIT_KEY", "Implicit keys of flow sequence pairs need to be on a single line");
                    break;
                  }
                }
              if (props.start < valueProps.found.offset - 1024)
                onError(valueProps.found, "KEY_OVER_1024_CHARS", "The : indicator must be at most 1024 chars after the start of an implicit flow sequence key");
            }
          } else if (value) {
            if ("source" in value && value.source?.[0] === ":")
              onError(value, "MISSING_CHAR", `Missing space after : in ${fcName}`);
            else
              onError(valueProps.start, "MISSING_CHAR", `Missing , or : between ${fcName} items`);
          }
          const valueNode = value ? composeNode(ctx, value, valueProps, onError) : valueProps.found ? composeEmptyNode(ctx, valueProps.end, sep, null, valueProps, onError) : null;
          if (valueNode) {
            if (isBlock(value))
              onError(valueNode.range, "BLOCK_IN_FLOW", blockMsg);
          } else if (valueProps.comment) {
            if (keyNode.comment)
              keyNode.comment += "\n" + valueProps.comment;
            else
              keyNode.comment = valueProps.comment;
          }
          const pair = new Pair.Pair(keyNode, valueNode);
          if (ctx.options.keepSourceTokens)
            pair.srcToken = collItem;
          if (isMap2) {
            const map2 = coll;
            if (utilMapIncludes.mapIncludes(ctx, map2.items, keyNode))
              onError(keyStart, "DUPLICATE_KEY", "Map keys must be unique");
            map2.items.push(pair);
          } else {
            const map2 = new YAMLMap.YAMLMap(ctx.schema);
            map2.flow = true;
            map2.items.push(pair);
            const endRange = (valueNode ?? keyNode).range;
            map2.range = [keyNode.range[0], endRange[1], endRange[2]];
            coll.items.push(map2);
          }
          offset = valueNode ? valueNode.range[2] : valueProps.end;
        }
      }
      const expectedEnd = isMap2 ? "}" : "]";
      const [ce, ...ee] = fc.end;
      let cePos = offset;
      if (ce?.source === expectedEnd)
        cePos = ce.offset + ce.source.length;
      else {
        const name = fcName[0].toUpperCase() + fcName.substring(1);
        const msg = atRoot ? `${name} must end with a ${expectedEnd}` : `${name} in block collection must be sufficiently indented and end with a ${expectedEnd}`;
        onError(offset, atRoot ? "MISSING_CHAR" : "BAD_INDENT", msg);
        if (ce && ce.source.length !== 1)
          ee.unshift(ce);
      }
      if (ee.length > 0) {
        const end = resolveEnd.resolveEnd(ee, cePos, ctx.options.strict, onError);
        if (end.comment) {
          if (coll.comment)
            coll.comment += "\n" + end.comment;
          else
            coll.comment = end.comment;
        }
        coll.range = [fc.offset, cePos, end.offset];
      } else {
        coll.range = [fc.offset, cePos, cePos];
      }
      return coll;
    }
    exports.resolveFlowCollection = resolveFlowCollection;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/compose-collection.js
var require_compose_collection = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/compose-collection.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Scalar = require_Scalar();
    var YAMLMap = require_YAMLMap();
    var YAMLSeq = require_YAMLSeq();
    var resolveBlockMap = require_resolve_block_map();
    var resolveBlockSeq = require_resolve_block_seq();
    var resolveFlowCollection = require_resolve_flow_collection();
    function resolveCollection(CN, ctx, token, onError, tagName, tag) {
      const coll = token.type === "block-map" ? resolveBlockMap.resolveBlockMap(CN, ctx, token, onError, tag) : token.type === "block-seq" ? resolveBlockSeq.resolveBlockSeq(CN, ctx, token, onError, tag) : resolveFlowCollection.resolveFlowCollection(CN, ctx, token, onError, tag);
      const Coll = coll.constructor;
      if (tagName === "!" || tagName === Coll.tagName) {
        coll.tag = Coll.tagName;
        return coll;
      }
      if (tagName)
        coll.tag = tagName;
      return coll;
    }
    function composeCollection(CN, ctx, token, props, onError) {
      const tagToken = props.tag;
      const tagName = !tagToken ? null : ctx.directives.tagName(tagToken.source, (msg) => onError(tagToken, "TAG_RESOLVE_FAILED", msg));
      if (token.type === "block-seq") {
        const { anchor, newlineAfterProp: nl } = props;
        const lastProp = anchor && tagToken ? anchor.offset > tagToken.offset ? anchor : tagToken : anchor ?? tagToken;
        if (lastProp && (!nl || nl.offset < lastProp.offset)) {
          const message = "Missing newline after block sequence props";
          onError(lastProp, "MISSING_CHAR", message);
        }
      }
      const expType = token.type === "block-map" ? "map" : token.type === "block-seq" ? "seq" : token.start.source === "{" ? "map" : "seq";
      if (!tagToken || !tagName || tagName === "!" || tagName === YAMLMap.YAMLMap.tagName && expType === "map" || tagName === YAMLSeq.YAMLSeq.tagName && expType === "seq") {
        return resolveCollection(CN, ctx, token, onError, tagName);
      }
      let tag = ctx.schema.tags.find((t) => t.tag === tagName && t.collection === expType);
      if (!tag) {
        const kt = ctx.schema.knownTags[tagName];
        if (kt?.collection === expType) {
          ctx.schema.tags.push(Object.assign({}, kt, { default: false }));
          tag = kt;
        } else {
          if (kt) {
            onError(tagToken, "BAD_COLLECTION_TYPE", `${kt.tag} used for ${expType} collection, but expects ${kt.collection ?? "scalar"}`, true);
          } else {
            onError(tagToken, "TAG_RESOLVE_FAILED", `Unresolved tag: ${tagName}`, true);
          }
          return resolveCollection(CN, ctx, token, onError, tagName);
        }
      }
      const coll = resolveCollection(CN, ctx, token, onError, tagName, tag);
      const res = tag.resolve?.(coll, (msg) => onError(tagToken, "TAG_RESOLVE_FAILED", msg), ctx.options) ?? coll;
      const node2 = identity.isNode(res) ? res : new Scalar.Scalar(res);
      node2.range = coll.range;
      node2.tag = tagName;
      if (tag?.format)
        node2.format = tag.format;
      return node2;
    }
    exports.composeCollection = composeCollection;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/resolve-block-scalar.js
var require_resolve_block_scalar = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/resolve-block-scalar.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    function resolveBlockScalar(ctx, scalar, onError) {
      const start = scalar.offset;
      const header = parseBlockScalarHeader(scalar, ctx.options.strict, onError);
      if (!header)
        return { value: "", type: null, comment: "", range: [start, start, start] };
      const type2 = header.mode === ">" ? Scalar.Scalar.BLOCK_FOLDED : Scalar.Scalar.BLOCK_LITERAL;
      const lines = scalar.source ? splitLines(scalar.source) : [];
      let chompStart = lines.length;
      for (let i = lines.length - 1; i >= 0; --i) {
        const content = lines[i][1];
        if (content === "" || content === "\r")
          chompStart = i;
        else
          break;
      }
      if (chompStart === 0) {
        const value2 = header.chomp === "+" && lines.length > 0 ? "\n".repeat(Math.max(1, lines.length - 1)) : "";
        let end2 = start + header.length;
        if (scalar.source)
          end2 += scalar.source.length;
        return { value: value2, type: type2, comment: header.comment, range: [start, end2, end2] };
      }
      let trimIndent = scalar.indent + header.indent;
      let offset = scalar.offset + header.length;
      let contentStart = 0;
      for (let i = 0; i < chompStart; ++i) {
        const [indent, content] = lines[i];
        if (content === "" || content === "\r") {
          if (header.indent === 0 && indent.length > trimIndent)
            trimIndent = indent.length;
        } else {
          if (indent.length < trimIndent) {
            const message = "Block scalars with more-indented leading empty lines must use an explicit indentation indicator";
            onError(offset + indent.length, "MISSING_CHAR", message);
          }
          if (header.indent === 0)
            trimIndent = indent.length;
          contentStart = i;
          if (trimIndent === 0 && !ctx.atRoot) {
            const message = "Block scalar values in collections must be indented";
            onError(offset, "BAD_INDENT", message);
          }
          break;
        }
        offset += indent.length + content.length + 1;
      }
      for (let i = lines.length - 1; i >= chompStart; --i) {
        if (lines[i][0].length > trimIndent)
          chompStart = i + 1;
      }
      let value = "";
      let sep = "";
      let prevMoreIndented = false;
      for (let i = 0; i < contentStart; ++i)
        value += lines[i][0].slice(trimIndent) + "\n";
      for (let i = contentStart; i < chompStart; ++i) {
        let [indent, content] = lines[i];
        offset += indent.length + content.length + 1;
        const crlf = content[content.length - 1] === "\r";
        if (crlf)
          content = content.slice(0, -1);
        if (content && indent.length < trimIndent) {
          const src = header.indent ? "explicit indentation indicator" : "first line";
          const message = `Block scalar lines must not be less indented than their ${src}`;
          onError(offset - content.length - (crlf ? 2 : 1), "BAD_INDENT", message);
          indent = "";
        }
        if (type2 === Scalar.Scalar.BLOCK_LITERAL) {
          value += sep + indent.slice(trimIndent) + content;
          sep = "\n";
        } else if (indent.length > trimIndent || content[0] === "	") {
          if (sep === " ")
            sep = "\n";
          else if (!prevMoreIndented && sep === "\n")
            sep = "\n\n";
          value += sep + indent.slice(trimIndent) + content;
          sep = "\n";
          prevMoreIndented = true;
        } else if (content === "") {
          if (sep === "\n")
            value += "\n";
          else
            sep = "\n";
        } else {
          value += sep + content;
          sep = " ";
          prevMoreIndented = false;
        }
      }
      switch (header.chomp) {
        case "-":
          break;
        case "+":
          for (let i = chompStart; i < lines.length; ++i)
            value += "\n" + lines[i][0].slice(trimIndent);
          if (value[value.length - 1] !== "\n")
            value += "\n";
          break;
        default:
          value += "\n";
      }
      const end = start + header.length + scalar.source.length;
      return { value, type: type2, comment: header.comment, range: [start, end, end] };
    }
    function parseBlockScalarHeader({ offset, props }, strict, onError) {
      if (props[0].type !== "block-scalar-header") {
        onError(props[0], "IMPOSSIBLE", "Block scalar header not found");
        return null;
      }
      const { source } = props[0];
      const mode = source[0];
      let indent = 0;
      let chomp = "";
      let error = -1;
      for (let i = 1; i < source.length; ++i) {
        const ch = source[i];
        if (!chomp && (ch === "-" || ch === "+"))
          chomp = ch;
        else {
          const n = Number(ch);
          if (!indent && n)
            indent = n;
          else if (error === -1)
            error = offset + i;
        }
      }
      if (error !== -1)
        onError(error, "UNEXPECTED_TOKEN", `Block scalar header includes extra characters: ${source}`);
      let hasSpace = false;
      let comment = "";
      let length = source.length;
      for (let i = 1; i < props.length; ++i) {
        const token = props[i];
        switch (token.type) {
          case "space":
            hasSpace = true;
          // fallthrough
          case "newline":
            length += token.source.length;
            break;
          case "comment":
            if (strict && !hasSpace) {
              const message = "Comments must be separated from other tokens by white space characters";
              onError(token, "MISSING_CHAR", message);
            }
            length += token.source.length;
            comment = token.source.substring(1);
            break;
          case "error":
            onError(token, "UNEXPECTED_TOKEN", token.message);
            length += token.source.length;
            break;
          /* istanbul ignore next should not happen */
          default: {
            const message = `Unexpected token in block scalar header: ${token.type}`;
            onError(token, "UNEXPECTED_TOKEN", message);
            const ts = token.source;
            if (ts && typeof ts === "string")
              length += ts.length;
          }
        }
      }
      return { mode, indent, chomp, comment, length };
    }
    function splitLines(source) {
      const split = source.split(/\n( *)/);
      const first = split[0];
      const m = first.match(/^( *)/);
      const line0 = m?.[1] ? [m[1], first.slice(m[1].length)] : ["", first];
      const lines = [line0];
      for (let i = 1; i < split.length; i += 2)
        lines.push([split[i], split[i + 1]]);
      return lines;
    }
    exports.resolveBlockScalar = resolveBlockScalar;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/resolve-flow-scalar.js
var require_resolve_flow_scalar = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/resolve-flow-scalar.js"(exports) {
    "use strict";
    var Scalar = require_Scalar();
    var resolveEnd = require_resolve_end();
    function resolveFlowScalar(scalar, strict, onError) {
      const { offset, type: type2, source, end } = scalar;
      let _type;
      let value;
      const _onError = (rel, code, msg) => onError(offset + rel, code, msg);
      switch (type2) {
        case "scalar":
          _type = Scalar.Scalar.PLAIN;
          value = plainValue(source, _onError);
          break;
        case "single-quoted-scalar":
          _type = Scalar.Scalar.QUOTE_SINGLE;
          value = singleQuotedValue(source, _onError);
          break;
        case "double-quoted-scalar":
          _type = Scalar.Scalar.QUOTE_DOUBLE;
          value = doubleQuotedValue(source, _onError);
          break;
        /* istanbul ignore next should not happen */
        default:
          onError(scalar, "UNEXPECTED_TOKEN", `Expected a flow scalar value, but found: ${type2}`);
          return {
            value: "",
            type: null,
            comment: "",
            range: [offset, offset + source.length, offset + source.length]
          };
      }
      const valueEnd = offset + source.length;
      const re = resolveEnd.resolveEnd(end, valueEnd, strict, onError);
      return {
        value,
        type: _type,
        comment: re.comment,
        range: [offset, valueEnd, re.offset]
      };
    }
    function plainValue(source, onError) {
      let badChar = "";
      switch (source[0]) {
        /* istanbul ignore next should not happen */
        case "	":
          badChar = "a tab character";
          break;
        case ",":
          badChar = "flow indicator character ,";
          break;
        case "%":
          badChar = "directive indicator character %";
          break;
        case "|":
        case ">": {
          badChar = `block scalar indicator ${source[0]}`;
          break;
        }
        case "@":
        case "`": {
          badChar = `reserved character ${source[0]}`;
          break;
        }
      }
      if (badChar)
        onError(0, "BAD_SCALAR_START", `Plain value cannot start with ${badChar}`);
      return unfoldLines(source);
    }
    function singleQuotedValue(source, onError) {
      if (source[source.length - 1] !== "'" || source.length === 1)
        onError(source.length, "MISSING_CHAR", "Missing closing 'quote");
      return unfoldLines(source.slice(1, -1)).replace(/''/g, "'");
    }
    function unfoldLines(source) {
      const line3 = /(.*?)\r?\n/sy;
      let match = line3.exec(source);
      if (!match)
        return source;
      let trimEnd, trimBoth;
      try {
        trimEnd = new RegExp("(?<![ 	])[ 	]+$");
        trimBoth = new RegExp("^[ 	]+|(?<![ 	])[ 	]+$", "g");
      } catch {
        trimEnd = /[ \t]+$/;
        trimBoth = /^[ \t]+|[ \t]+$/g;
      }
      let res = match[1].replace(trimEnd, "");
      let sep = " ";
      let pos = line3.lastIndex;
      while (match = line3.exec(source)) {
        const lm = match[1].replace(trimBoth, "");
        if (lm === "") {
          if (sep === "\n")
            res += sep;
          else
            sep = "\n";
        } else {
          res += sep + lm;
          sep = " ";
        }
        pos = line3.lastIndex;
      }
      const last = /[ \t]*(.*)/sy;
      last.lastIndex = pos;
      match = last.exec(source);
      return res + sep + (match?.[1] ?? "");
    }
    function doubleQuotedValue(source, onError) {
      let res = "";
      for (let i = 1; i < source.length - 1; ++i) {
        const ch = source[i];
        if (ch === "\r" && source[i + 1] === "\n")
          continue;
        if (ch === "\n") {
          const { fold, offset } = foldNewline(source, i);
          res += fold;
          i = offset;
        } else if (ch === "\\") {
          let next = source[++i];
          const cc = escapeCodes[next];
          if (cc)
            res += cc;
          else if (next === "\n") {
            next = source[i + 1];
            while (next === " " || next === "	")
              next = source[++i + 1];
          } else if (next === "\r" && source[i + 1] === "\n") {
            next = source[++i + 1];
            while (next === " " || next === "	")
              next = source[++i + 1];
          } else if (next === "x" || next === "u" || next === "U") {
            const length = next === "x" ? 2 : next === "u" ? 4 : 8;
            res += parseCharCode(source, i + 1, length, onError);
            i += length;
          } else {
            const raw = source.substr(i - 1, 2);
            onError(i - 1, "BAD_DQ_ESCAPE", `Invalid escape sequence ${raw}`);
            res += raw;
          }
        } else if (ch === " " || ch === "	") {
          const wsStart = i;
          let next = source[i + 1];
          while (next === " " || next === "	")
            next = source[++i + 1];
          if (next !== "\n" && !(next === "\r" && source[i + 2] === "\n"))
            res += i > wsStart ? source.slice(wsStart, i + 1) : ch;
        } else {
          res += ch;
        }
      }
      if (source[source.length - 1] !== '"' || source.length === 1)
        onError(source.length, "MISSING_CHAR", 'Missing closing "quote');
      return res;
    }
    function foldNewline(source, offset) {
      let fold = "";
      let ch = source[offset + 1];
      while (ch === " " || ch === "	" || ch === "\n" || ch === "\r") {
        if (ch === "\r" && source[offset + 2] !== "\n")
          break;
        if (ch === "\n")
          fold += "\n";
        offset += 1;
        ch = source[offset + 1];
      }
      if (!fold)
        fold = " ";
      return { fold, offset };
    }
    var escapeCodes = {
      "0": "\0",
      // null character
      a: "\x07",
      // bell character
      b: "\b",
      // backspace
      e: "\x1B",
      // escape character
      f: "\f",
      // form feed
      n: "\n",
      // line feed
      r: "\r",
      // carriage return
      t: "	",
      // horizontal tab
      v: "\v",
      // vertical tab
      N: "\x85",
      // Unicode next line
      _: "\xA0",
      // Unicode non-breaking space
      L: "\u2028",
      // Unicode line separator
      P: "\u2029",
      // Unicode paragraph separator
      " ": " ",
      '"': '"',
      "/": "/",
      "\\": "\\",
      "	": "	"
    };
    function parseCharCode(source, offset, length, onError) {
      const cc = source.substr(offset, length);
      const ok = cc.length === length && /^[0-9a-fA-F]+$/.test(cc);
      const code = ok ? parseInt(cc, 16) : NaN;
      try {
        return String.fromCodePoint(code);
      } catch {
        const raw = source.substr(offset - 2, length + 2);
        onError(offset - 2, "BAD_DQ_ESCAPE", `Invalid escape sequence ${raw}`);
        return raw;
      }
    }
    exports.resolveFlowScalar = resolveFlowScalar;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/compose-scalar.js
var require_compose_scalar = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/compose-scalar.js"(exports) {
    "use strict";
    var identity = require_identity();
    var Scalar = require_Scalar();
    var resolveBlockScalar = require_resolve_block_scalar();
    var resolveFlowScalar = require_resolve_flow_scalar();
    function composeScalar(ctx, token, tagToken, onError) {
      const { value, type: type2, comment, range } = token.type === "block-scalar" ? resolveBlockScalar.resolveBlockScalar(ctx, token, onError) : resolveFlowScalar.resolveFlowScalar(token, ctx.options.strict, onError);
      const tagName = tagToken ? ctx.directives.tagName(tagToken.source, (msg) => onError(tagToken, "TAG_RESOLVE_FAILED", msg)) : null;
      let tag;
      if (ctx.options.stringKeys && ctx.atKey) {
        tag = ctx.schema[identity.SCALAR];
      } else if (tagName)
        tag = findScalarTagByName(ctx.schema, value, tagName, tagToken, onError);
      else if (token.type === "scalar")
        tag = findScalarTagByTest(ctx, value, token, onError);
      else
        tag = ctx.schema[identity.SCALAR];
      let scalar;
      try {
        const res = tag.resolve(value, (msg) => onError(tagToken ?? token, "TAG_RESOLVE_FAILED", msg), ctx.options);
        scalar = identity.isScalar(res) ? res : new Scalar.Scalar(res);
      } catch (error) {
        const msg = error instanceof Error ? error.message : String(error);
        onError(tagToken ?? token, "TAG_RESOLVE_FAILED", msg);
        scalar = new Scalar.Scalar(value);
      }
      scalar.range = range;
      scalar.source = value;
      if (type2)
        scalar.type = type2;
      if (tagName)
        scalar.tag = tagName;
      if (tag.format)
        scalar.format = tag.format;
      if (comment)
        scalar.comment = comment;
      return scalar;
    }
    function findScalarTagByName(schema2, value, tagName, tagToken, onError) {
      if (tagName === "!")
        return schema2[identity.SCALAR];
      const matchWithTest = [];
      for (const tag of schema2.tags) {
        if (!tag.collection && tag.tag === tagName) {
          if (tag.default && tag.test)
            matchWithTest.push(tag);
          else
            return tag;
        }
      }
      for (const tag of matchWithTest)
        if (tag.test?.test(value))
          return tag;
      const kt = schema2.knownTags[tagName];
      if (kt && !kt.collection) {
        schema2.tags.push(Object.assign({}, kt, { default: false, test: void 0 }));
        return kt;
      }
      onError(tagToken, "TAG_RESOLVE_FAILED", `Unresolved tag: ${tagName}`, tagName !== "tag:yaml.org,2002:str");
      return schema2[identity.SCALAR];
    }
    function findScalarTagByTest({ atKey, directives, schema: schema2 }, value, token, onError) {
      const tag = schema2.tags.find((tag2) => (tag2.default === true || atKey && tag2.default === "key") && tag2.test?.test(value)) || schema2[identity.SCALAR];
      if (schema2.compat) {
        const compat = schema2.compat.find((tag2) => tag2.default && tag2.test?.test(value)) ?? schema2[identity.SCALAR];
        if (tag.tag !== compat.tag) {
          const ts = directives.tagString(tag.tag);
          const cs = directives.tagString(compat.tag);
          const msg = `Value may be parsed as either ${ts} or ${cs}`;
          onError(token, "TAG_RESOLVE_FAILED", msg, true);
        }
      }
      return tag;
    }
    exports.composeScalar = composeScalar;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/util-empty-scalar-position.js
var require_util_empty_scalar_position = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/util-empty-scalar-position.js"(exports) {
    "use strict";
    function emptyScalarPosition(offset, before, pos) {
      if (before) {
        pos ?? (pos = before.length);
        for (let i = pos - 1; i >= 0; --i) {
          let st = before[i];
          switch (st.type) {
            case "space":
            case "comment":
            case "newline":
              offset -= st.source.length;
              continue;
          }
          st = before[++i];
          while (st?.type === "space") {
            offset += st.source.length;
            st = before[++i];
          }
          break;
        }
      }
      return offset;
    }
    exports.emptyScalarPosition = emptyScalarPosition;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/compose-node.js
var require_compose_node = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/compose-node.js"(exports) {
    "use strict";
    var Alias = require_Alias();
    var identity = require_identity();
    var composeCollection = require_compose_collection();
    var composeScalar = require_compose_scalar();
    var resolveEnd = require_resolve_end();
    var utilEmptyScalarPosition = require_util_empty_scalar_position();
    var CN = { composeNode, composeEmptyNode };
    function composeNode(ctx, token, props, onError) {
      const atKey = ctx.atKey;
      const { spaceBefore, comment, anchor, tag } = props;
      let node2;
      let isSrcToken = true;
      switch (token.type) {
        case "alias":
          node2 = composeAlias(ctx, token, onError);
          if (anchor || tag)
            onError(token, "ALIAS_PROPS", "An alias node must not specify any properties");
          break;
        case "scalar":
        case "single-quoted-scalar":
        case "double-quoted-scalar":
        case "block-scalar":
          node2 = composeScalar.composeScalar(ctx, token, tag, onError);
          if (anchor)
            node2.anchor = anchor.source.substring(1);
          break;
        case "block-map":
        case "block-seq":
        case "flow-collection":
          try {
            node2 = composeCollection.composeCollection(CN, ctx, token, props, onError);
            if (anchor)
              node2.anchor = anchor.source.substring(1);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            onError(token, "RESOURCE_EXHAUSTION", message);
          }
          break;
        default: {
          const message = token.type === "error" ? token.message : `Unsupported token (type: ${token.type})`;
          onError(token, "UNEXPECTED_TOKEN", message);
          isSrcToken = false;
        }
      }
      node2 ?? (node2 = composeEmptyNode(ctx, token.offset, void 0, null, props, onError));
      if (anchor && node2.anchor === "")
        onError(anchor, "BAD_ALIAS", "Anchor cannot be an empty string");
      if (atKey && ctx.options.stringKeys && (!identity.isScalar(node2) || typeof node2.value !== "string" || node2.tag && node2.tag !== "tag:yaml.org,2002:str")) {
        const msg = "With stringKeys, all keys must be strings";
        onError(tag ?? token, "NON_STRING_KEY", msg);
      }
      if (spaceBefore)
        node2.spaceBefore = true;
      if (comment) {
        if (token.type === "scalar" && token.source === "")
          node2.comment = comment;
        else
          node2.commentBefore = comment;
      }
      if (ctx.options.keepSourceTokens && isSrcToken)
        node2.srcToken = token;
      return node2;
    }
    function composeEmptyNode(ctx, offset, before, pos, { spaceBefore, comment, anchor, tag, end }, onError) {
      const token = {
        type: "scalar",
        offset: utilEmptyScalarPosition.emptyScalarPosition(offset, before, pos),
        indent: -1,
        source: ""
      };
      const node2 = composeScalar.composeScalar(ctx, token, tag, onError);
      if (anchor) {
        node2.anchor = anchor.source.substring(1);
        if (node2.anchor === "")
          onError(anchor, "BAD_ALIAS", "Anchor cannot be an empty string");
      }
      if (spaceBefore)
        node2.spaceBefore = true;
      if (comment) {
        node2.comment = comment;
        node2.range[2] = end;
      }
      return node2;
    }
    function composeAlias({ options }, { offset, source, end }, onError) {
      const alias = new Alias.Alias(source.substring(1));
      if (alias.source === "")
        onError(offset, "BAD_ALIAS", "Alias cannot be an empty string");
      if (alias.source.endsWith(":"))
        onError(offset + source.length - 1, "BAD_ALIAS", "Alias ending in : is ambiguous", true);
      const valueEnd = offset + source.length;
      const re = resolveEnd.resolveEnd(end, valueEnd, options.strict, onError);
      alias.range = [offset, valueEnd, re.offset];
      if (re.comment)
        alias.comment = re.comment;
      return alias;
    }
    exports.composeEmptyNode = composeEmptyNode;
    exports.composeNode = composeNode;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/compose-doc.js
var require_compose_doc = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/compose-doc.js"(exports) {
    "use strict";
    var Document = require_Document();
    var composeNode = require_compose_node();
    var resolveEnd = require_resolve_end();
    var resolveProps = require_resolve_props();
    function composeDoc(options, directives, { offset, start, value, end }, onError) {
      const opts = Object.assign({ _directives: directives }, options);
      const doc = new Document.Document(void 0, opts);
      const ctx = {
        atKey: false,
        atRoot: true,
        directives: doc.directives,
        options: doc.options,
        schema: doc.schema
      };
      const props = resolveProps.resolveProps(start, {
        indicator: "doc-start",
        next: value ?? end?.[0],
        offset,
        onError,
        parentIndent: 0,
        startOnNewline: true
      });
      if (props.found) {
        doc.directives.docStart = true;
        if (value && (value.type === "block-map" || value.type === "block-seq") && !props.hasNewline)
          onError(props.end, "MISSING_CHAR", "Block collection cannot start on same line with directives-end marker");
      }
      doc.contents = value ? composeNode.composeNode(ctx, value, props, onError) : composeNode.composeEmptyNode(ctx, props.end, start, null, props, onError);
      const contentEnd = doc.contents.range[2];
      const re = resolveEnd.resolveEnd(end, contentEnd, false, onError);
      if (re.comment)
        doc.comment = re.comment;
      doc.range = [offset, contentEnd, re.offset];
      return doc;
    }
    exports.composeDoc = composeDoc;
  }
});

// ../../work/main/node_modules/yaml/dist/compose/composer.js
var require_composer = __commonJS({
  "../../work/main/node_modules/yaml/dist/compose/composer.js"(exports) {
    "use strict";
    var node_process = __require("process");
    var directives = require_directives();
    var Document = require_Document();
    var errors = require_errors2();
    var identity = require_identity();
    var composeDoc = require_compose_doc();
    var resolveEnd = require_resolve_end();
    function getErrorPos(src) {
      if (typeof src === "number")
        return [src, src + 1];
      if (Array.isArray(src))
        return src.length === 2 ? src : [src[0], src[1]];
      const { offset, source } = src;
      return [offset, offset + (typeof source === "string" ? source.length : 1)];
    }
    function parsePrelude(prelude) {
      let comment = "";
      let atComment = false;
      let afterEmptyLine = false;
      for (let i = 0; i < prelude.length; ++i) {
        const source = prelude[i];
        switch (source[0]) {
          case "#":
            comment += (comment === "" ? "" : afterEmptyLine ? "\n\n" : "\n") + (source.substring(1) || " ");
            atComment = true;
            afterEmptyLine = false;
            break;
          case "%":
            if (prelude[i + 1]?.[0] !== "#")
              i += 1;
            atComment = false;
            break;
          default:
            if (!atComment)
              afterEmptyLine = true;
            atComment = false;
        }
      }
      return { comment, afterEmptyLine };
    }
    var Composer = class {
      constructor(options = {}) {
        this.doc = null;
        this.atDirectives = false;
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
        this.onError = (source, code, message, warning) => {
          const pos = getErrorPos(source);
          if (warning)
            this.warnings.push(new errors.YAMLWarning(pos, code, message));
          else
            this.errors.push(new errors.YAMLParseError(pos, code, message));
        };
        this.directives = new directives.Directives({ version: options.version || "1.2" });
        this.options = options;
      }
      decorate(doc, afterDoc) {
        const { comment, afterEmptyLine } = parsePrelude(this.prelude);
        if (comment) {
          const dc = doc.contents;
          if (afterDoc) {
            doc.comment = doc.comment ? `${doc.comment}
${comment}` : comment;
          } else if (afterEmptyLine || doc.directives.docStart || !dc) {
            doc.commentBefore = comment;
          } else if (identity.isCollection(dc) && !dc.flow && dc.items.length > 0) {
            let it = dc.items[0];
            if (identity.isPair(it))
              it = it.key;
            const cb = it.commentBefore;
            it.commentBefore = cb ? `${comment}
${cb}` : comment;
          } else {
            const cb = dc.commentBefore;
            dc.commentBefore = cb ? `${comment}
${cb}` : comment;
          }
        }
        if (afterDoc) {
          for (let i = 0; i < this.errors.length; ++i)
            doc.errors.push(this.errors[i]);
          for (let i = 0; i < this.warnings.length; ++i)
            doc.warnings.push(this.warnings[i]);
        } else {
          doc.errors = this.errors;
          doc.warnings = this.warnings;
        }
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
      }
      /**
       * Current stream status information.
       *
       * Mostly useful at the end of input for an empty stream.
       */
      streamInfo() {
        return {
          comment: parsePrelude(this.prelude).comment,
          directives: this.directives,
          errors: this.errors,
          warnings: this.warnings
        };
      }
      /**
       * Compose tokens into documents.
       *
       * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
       * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
       */
      *compose(tokens, forceDoc = false, endOffset = -1) {
        for (const token of tokens)
          yield* this.next(token);
        yield* this.end(forceDoc, endOffset);
      }
      /** Advance the composer by one CST token. */
      *next(token) {
        if (node_process.env.LOG_STREAM)
          console.dir(token, { depth: null });
        switch (token.type) {
          case "directive":
            this.directives.add(token.source, (offset, message, warning) => {
              const pos = getErrorPos(token);
              pos[0] += offset;
              this.onError(pos, "BAD_DIRECTIVE", message, warning);
            });
            this.prelude.push(token.source);
            this.atDirectives = true;
            break;
          case "document": {
            const doc = composeDoc.composeDoc(this.options, this.directives, token, this.onError);
            if (this.atDirectives && !doc.directives.docStart)
              this.onError(token, "MISSING_CHAR", "Missing directives-end/doc-start indicator line");
            this.decorate(doc, false);
            if (this.doc)
              yield this.doc;
            this.doc = doc;
            this.atDirectives = false;
            break;
          }
          case "byte-order-mark":
          case "space":
            break;
          case "comment":
          case "newline":
            this.prelude.push(token.source);
            break;
          case "error": {
            const msg = token.source ? `${token.message}: ${JSON.stringify(token.source)}` : token.message;
            const error = new errors.YAMLParseError(getErrorPos(token), "UNEXPECTED_TOKEN", msg);
            if (this.atDirectives || !this.doc)
              this.errors.push(error);
            else
              this.doc.errors.push(error);
            break;
          }
          case "doc-end": {
            if (!this.doc) {
              const msg = "Unexpected doc-end without preceding document";
              this.errors.push(new errors.YAMLParseError(getErrorPos(token), "UNEXPECTED_TOKEN", msg));
              break;
            }
            this.doc.directives.docEnd = true;
            const end = resolveEnd.resolveEnd(token.end, token.offset + token.source.length, this.doc.options.strict, this.onError);
            this.decorate(this.doc, true);
            if (end.comment) {
              const dc = this.doc.comment;
              this.doc.comment = dc ? `${dc}
${end.comment}` : end.comment;
            }
            this.doc.range[2] = end.offset;
            break;
          }
          default:
            this.errors.push(new errors.YAMLParseError(getErrorPos(token), "UNEXPECTED_TOKEN", `Unsupported token ${token.type}`));
        }
      }
      /**
       * Call at end of input to yield any remaining document.
       *
       * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
       * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
       */
      *end(forceDoc = false, endOffset = -1) {
        if (this.doc) {
          this.decorate(this.doc, true);
          yield this.doc;
          this.doc = null;
        } else if (forceDoc) {
          const opts = Object.assign({ _directives: this.directives }, this.options);
          const doc = new Document.Document(void 0, opts);
          if (this.atDirectives)
            this.onError(endOffset, "MISSING_CHAR", "Missing directives-end indicator line");
          doc.range = [0, endOffset, endOffset];
          this.decorate(doc, false);
          yield doc;
        }
      }
    };
    exports.Composer = Composer;
  }
});

// ../../work/main/node_modules/yaml/dist/parse/cst-scalar.js
var require_cst_scalar = __commonJS({
  "../../work/main/node_modules/yaml/dist/parse/cst-scalar.js"(exports) {
    "use strict";
    var resolveBlockScalar = require_resolve_block_scalar();
    var resolveFlowScalar = require_resolve_flow_scalar();
    var errors = require_errors2();
    var stringifyString = require_stringifyString();
    function resolveAsScalar(token, strict = true, onError) {
      if (token) {
        const _onError = (pos, code, message) => {
          const offset = typeof pos === "number" ? pos : Array.isArray(pos) ? pos[0] : pos.offset;
          if (onError)
            onError(offset, code, message);
          else
            throw new errors.YAMLParseError([offset, offset + 1], code, message);
        };
        switch (token.type) {
          case "scalar":
          case "single-quoted-scalar":
          case "double-quoted-scalar":
            return resolveFlowScalar.resolveFlowScalar(token, strict, _onError);
          case "block-scalar":
            return resolveBlockScalar.resolveBlockScalar({ options: { strict } }, token, _onError);
        }
      }
      return null;
    }
    function createScalarToken(value, context) {
      const { implicitKey = false, indent, inFlow = false, offset = -1, type: type2 = "PLAIN" } = context;
      const source = stringifyString.stringifyString({ type: type2, value }, {
        implicitKey,
        indent: indent > 0 ? " ".repeat(indent) : "",
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
      });
      const end = context.end ?? [
        { type: "newline", offset: -1, indent, source: "\n" }
      ];
      switch (source[0]) {
        case "|":
        case ">": {
          const he = source.indexOf("\n");
          const head = source.substring(0, he);
          const body = source.substring(he + 1) + "\n";
          const props = [
            { type: "block-scalar-header", offset, indent, source: head }
          ];
          if (!addEndtoBlockProps(props, end))
            props.push({ type: "newline", offset: -1, indent, source: "\n" });
          return { type: "block-scalar", offset, indent, props, source: body };
        }
        case '"':
          return { type: "double-quoted-scalar", offset, indent, source, end };
        case "'":
          return { type: "single-quoted-scalar", offset, indent, source, end };
        default:
          return { type: "scalar", offset, indent, source, end };
      }
    }
    function setScalarValue(token, value, context = {}) {
      let { afterKey = false, implicitKey = false, inFlow = false, type: type2 } = context;
      let indent = "indent" in token ? token.indent : null;
      if (afterKey && typeof indent === "number")
        indent += 2;
      if (!type2)
        switch (token.type) {
          case "single-quoted-scalar":
            type2 = "QUOTE_SINGLE";
            break;
          case "double-quoted-scalar":
            type2 = "QUOTE_DOUBLE";
            break;
          case "block-scalar": {
            const header = token.props[0];
            if (header.type !== "block-scalar-header")
              throw new Error("Invalid block scalar header");
            type2 = header.source[0] === ">" ? "BLOCK_FOLDED" : "BLOCK_LITERAL";
            break;
          }
          default:
            type2 = "PLAIN";
        }
      const source = stringifyString.stringifyString({ type: type2, value }, {
        implicitKey: implicitKey || indent === null,
        indent: indent !== null && indent > 0 ? " ".repeat(indent) : "",
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
      });
      switch (source[0]) {
        case "|":
        case ">":
          setBlockScalarValue(token, source);
          break;
        case '"':
          setFlowScalarValue(token, source, "double-quoted-scalar");
          break;
        case "'":
          setFlowScalarValue(token, source, "single-quoted-scalar");
          break;
        default:
          setFlowScalarValue(token, source, "scalar");
      }
    }
    function setBlockScalarValue(token, source) {
      const he = source.indexOf("\n");
      const head = source.substring(0, he);
      const body = source.substring(he + 1) + "\n";
      if (token.type === "block-scalar") {
        const header = token.props[0];
        if (header.type !== "block-scalar-header")
          throw new Error("Invalid block scalar header");
        header.source = head;
        token.source = body;
      } else {
        const { offset } = token;
        const indent = "indent" in token ? token.indent : -1;
        const props = [
          { type: "block-scalar-header", offset, indent, source: head }
        ];
        if (!addEndtoBlockProps(props, "end" in token ? token.end : void 0))
          props.push({ type: "newline", offset: -1, indent, source: "\n" });
        for (const key of Object.keys(token))
          if (key !== "type" && key !== "offset")
            delete token[key];
        Object.assign(token, { type: "block-scalar", indent, props, source: body });
      }
    }
    function addEndtoBlockProps(props, end) {
      if (end)
        for (const st of end)
          switch (st.type) {
            case "space":
            case "comment":
              props.push(st);
              break;
            case "newline":
              props.push(st);
              return true;
          }
      return false;
    }
    function setFlowScalarValue(token, source, type2) {
      switch (token.type) {
        case "scalar":
        case "double-quoted-scalar":
        case "single-quoted-scalar":
          token.type = type2;
          token.source = source;
          break;
        case "block-scalar": {
          const end = token.props.slice(1);
          let oa = source.length;
          if (token.props[0].type === "block-scalar-header")
            oa -= token.props[0].source.length;
          for (const tok of end)
            tok.offset += oa;
          delete token.props;
          Object.assign(token, { type: type2, source, end });
          break;
        }
        case "block-map":
        case "block-seq": {
          const offset = token.offset + source.length;
          const nl = { type: "newline", offset, indent: token.indent, source: "\n" };
          delete token.items;
          Object.assign(token, { type: type2, source, end: [nl] });
          break;
        }
        default: {
          const indent = "indent" in token ? token.indent : -1;
          const end = "end" in token && Array.isArray(token.end) ? token.end.filter((st) => st.type === "space" || st.type === "comment" || st.type === "newline") : [];
          for (const key of Object.keys(token))
            if (key !== "type" && key !== "offset")
              delete token[key];
          Object.assign(token, { type: type2, indent, source, end });
        }
      }
    }
    exports.createScalarToken = createScalarToken;
    exports.resolveAsScalar = resolveAsScalar;
    exports.setScalarValue = setScalarValue;
  }
});

// ../../work/main/node_modules/yaml/dist/parse/cst-stringify.js
var require_cst_stringify = __commonJS({
  "../../work/main/node_modules/yaml/dist/parse/cst-stringify.js"(exports) {
    "use strict";
    var stringify = (cst) => "type" in cst ? stringifyToken(cst) : stringifyItem(cst);
    function stringifyToken(token) {
      switch (token.type) {
        case "block-scalar": {
          let res = "";
          for (const tok of token.props)
            res += stringifyToken(tok);
          return res + token.source;
        }
        case "block-map":
        case "block-seq": {
          let res = "";
          for (const item of token.items)
            res += stringifyItem(item);
          return res;
        }
        case "flow-collection": {
          let res = token.start.source;
          for (const item of token.items)
            res += stringifyItem(item);
          for (const st of token.end)
            res += st.source;
          return res;
        }
        case "document": {
          let res = stringifyItem(token);
          if (token.end)
            for (const st of token.end)
              res += st.source;
          return res;
        }
        default: {
          let res = token.source;
          if ("end" in token && token.end)
            for (const st of token.end)
              res += st.source;
          return res;
        }
      }
    }
    function stringifyItem({ start, key, sep, value }) {
      let res = "";
      for (const st of start)
        res += st.source;
      if (key)
        res += stringifyToken(key);
      if (sep)
        for (const st of sep)
          res += st.source;
      if (value)
        res += stringifyToken(value);
      return res;
    }
    exports.stringify = stringify;
  }
});

// ../../work/main/node_modules/yaml/dist/parse/cst-visit.js
var require_cst_visit = __commonJS({
  "../../work/main/node_modules/yaml/dist/parse/cst-visit.js"(exports) {
    "use strict";
    var BREAK = /* @__PURE__ */ Symbol("break visit");
    var SKIP = /* @__PURE__ */ Symbol("skip children");
    var REMOVE = /* @__PURE__ */ Symbol("remove item");
    function visit(cst, visitor) {
      if ("type" in cst && cst.type === "document")
        cst = { start: cst.start, value: cst.value };
      _visit(Object.freeze([]), cst, visitor);
    }
    visit.BREAK = BREAK;
    visit.SKIP = SKIP;
    visit.REMOVE = REMOVE;
    visit.itemAtPath = (cst, path) => {
      let item = cst;
      for (const [field, index] of path) {
        const tok = item?.[field];
        if (tok && "items" in tok) {
          item = tok.items[index];
        } else
          return void 0;
      }
      return item;
    };
    visit.parentCollection = (cst, path) => {
      const parent = visit.itemAtPath(cst, path.slice(0, -1));
      const field = path[path.length - 1][0];
      const coll = parent?.[field];
      if (coll && "items" in coll)
        return coll;
      throw new Error("Parent collection not found");
    };
    function _visit(path, item, visitor) {
      let ctrl = visitor(item, path);
      if (typeof ctrl === "symbol")
        return ctrl;
      for (const field of ["key", "value"]) {
        const token = item[field];
        if (token && "items" in token) {
          for (let i = 0; i < token.items.length; ++i) {
            const ci = _visit(Object.freeze(path.concat([[field, i]])), token.items[i], visitor);
            if (typeof ci === "number")
              i = ci - 1;
            else if (ci === BREAK)
              return BREAK;
            else if (ci === REMOVE) {
              token.items.splice(i, 1);
              i -= 1;
            }
          }
          if (typeof ctrl === "function" && field === "key")
            ctrl = ctrl(item, path);
        }
      }
      return typeof ctrl === "function" ? ctrl(item, path) : ctrl;
    }
    exports.visit = visit;
  }
});

// ../../work/main/node_modules/yaml/dist/parse/cst.js
var require_cst = __commonJS({
  "../../work/main/node_modules/yaml/dist/parse/cst.js"(exports) {
    "use strict";
    var cstScalar = require_cst_scalar();
    var cstStringify = require_cst_stringify();
    var cstVisit = require_cst_visit();
    var BOM = "\uFEFF";
    var DOCUMENT = "";
    var FLOW_END = "";
    var SCALAR = "";
    var isCollection = (token) => !!token && "items" in token;
    var isScalar2 = (token) => !!token && (token.type === "scalar" || token.type === "single-quoted-scalar" || token.type === "double-quoted-scalar" || token.type === "block-scalar");
    function prettyToken(token) {
      switch (token) {
        case BOM:
          return "<BOM>";
        case DOCUMENT:
          return "<DOC>";
        case FLOW_END:
          return "<FLOW_END>";
        case SCALAR:
          return "<SCALAR>";
        default:
          return JSON.stringify(token);
      }
    }
    function tokenType(source) {
      switch (source) {
        case BOM:
          return "byte-order-mark";
        case DOCUMENT:
          return "doc-mode";
        case FLOW_END:
          return "flow-error-end";
        case SCALAR:
          return "scalar";
        case "---":
          return "doc-start";
        case "...":
          return "doc-end";
        case "":
        case "\n":
        case "\r\n":
          return "newline";
        case "-":
          return "seq-item-ind";
        case "?":
          return "explicit-key-ind";
        case ":":
          return "map-value-ind";
        case "{":
          return "flow-map-start";
        case "}":
          return "flow-map-end";
        case "[":
          return "flow-seq-start";
        case "]":
          return "flow-seq-end";
        case ",":
          return "comma";
      }
      switch (source[0]) {
        case " ":
        case "	":
          return "space";
        case "#":
          return "comment";
        case "%":
          return "directive-line";
        case "*":
          return "alias";
        case "&":
          return "anchor";
        case "!":
          return "tag";
        case "'":
          return "single-quoted-scalar";
        case '"':
          return "double-quoted-scalar";
        case "|":
        case ">":
          return "block-scalar-header";
      }
      return null;
    }
    exports.createScalarToken = cstScalar.createScalarToken;
    exports.resolveAsScalar = cstScalar.resolveAsScalar;
    exports.setScalarValue = cstScalar.setScalarValue;
    exports.stringify = cstStringify.stringify;
    exports.visit = cstVisit.visit;
    exports.BOM = BOM;
    exports.DOCUMENT = DOCUMENT;
    exports.FLOW_END = FLOW_END;
    exports.SCALAR = SCALAR;
    exports.isCollection = isCollection;
    exports.isScalar = isScalar2;
    exports.prettyToken = prettyToken;
    exports.tokenType = tokenType;
  }
});

// ../../work/main/node_modules/yaml/dist/parse/lexer.js
var require_lexer = __commonJS({
  "../../work/main/node_modules/yaml/dist/parse/lexer.js"(exports) {
    "use strict";
    var cst = require_cst();
    function isEmpty(ch) {
      switch (ch) {
        case void 0:
        case " ":
        case "\n":
        case "\r":
        case "	":
          return true;
        default:
          return false;
      }
    }
    var hexDigits = new Set("0123456789ABCDEFabcdef");
    var tagChars = new Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-#;/?:@&=+$_.!~*'()");
    var flowIndicatorChars = new Set(",[]{}");
    var invalidAnchorChars = new Set(" ,[]{}\n\r	");
    var isNotAnchorChar = (ch) => !ch || invalidAnchorChars.has(ch);
    var Lexer = class {
      constructor() {
        this.atEnd = false;
        this.blockScalarIndent = -1;
        this.blockScalarKeep = false;
        this.buffer = "";
        this.flowKey = false;
        this.flowLevel = 0;
        this.indentNext = 0;
        this.indentValue = 0;
        this.lineEndPos = null;
        this.next = null;
        this.pos = 0;
      }
      /**
       * Generate YAML tokens from the `source` string. If `incomplete`,
       * a part of the last line may be left as a buffer for the next call.
       *
       * @returns A generator of lexical tokens
       */
      *lex(source, incomplete = false) {
        if (source) {
          if (typeof source !== "string")
            throw TypeError("source is not a string");
          this.buffer = this.buffer ? this.buffer + source : source;
          this.lineEndPos = null;
        }
        this.atEnd = !incomplete;
        let next = this.next ?? "stream";
        while (next && (incomplete || this.hasChars(1)))
          next = yield* this.parseNext(next);
      }
      atLineEnd() {
        let i = this.pos;
        let ch = this.buffer[i];
        while (ch === " " || ch === "	")
          ch = this.buffer[++i];
        if (!ch || ch === "#" || ch === "\n")
          return true;
        if (ch === "\r")
          return this.buffer[i + 1] === "\n";
        return false;
      }
      charAt(n) {
        return this.buffer[this.pos + n];
      }
      continueScalar(offset) {
        let ch = this.buffer[offset];
        if (this.indentNext > 0) {
          let indent = 0;
          while (ch === " ")
            ch = this.buffer[++indent + offset];
          if (ch === "\r") {
            const next = this.buffer[indent + offset + 1];
            if (next === "\n" || !next && !this.atEnd)
              return offset + indent + 1;
          }
          return ch === "\n" || indent >= this.indentNext || !ch && !this.atEnd ? offset + indent : -1;
        }
        if (ch === "-" || ch === ".") {
          const dt = this.buffer.substr(offset, 3);
          if ((dt === "---" || dt === "...") && isEmpty(this.buffer[offset + 3]))
            return -1;
        }
        return offset;
      }
      getLine() {
        let end = this.lineEndPos;
        if (typeof end !== "number" || end !== -1 && end < this.pos) {
          end = this.buffer.indexOf("\n", this.pos);
          this.lineEndPos = end;
        }
        if (end === -1)
          return this.atEnd ? this.buffer.substring(this.pos) : null;
        if (this.buffer[end - 1] === "\r")
          end -= 1;
        return this.buffer.substring(this.pos, end);
      }
      hasChars(n) {
        return this.pos + n <= this.buffer.length;
      }
      setNext(state) {
        this.buffer = this.buffer.substring(this.pos);
        this.pos = 0;
        this.lineEndPos = null;
        this.next = state;
        return null;
      }
      peek(n) {
        return this.buffer.substr(this.pos, n);
      }
      *parseNext(next) {
        switch (next) {
          case "stream":
            return yield* this.parseStream();
          case "line-start":
            return yield* this.parseLineStart();
          case "block-start":
            return yield* this.parseBlockStart();
          case "doc":
            return yield* this.parseDocument();
          case "flow":
            return yield* this.parseFlowCollection();
          case "quoted-scalar":
            return yield* this.parseQuotedScalar();
          case "block-scalar":
            return yield* this.parseBlockScalar();
          case "plain-scalar":
            return yield* this.parsePlainScalar();
        }
      }
      *parseStream() {
        let line3 = this.getLine();
        if (line3 === null)
          return this.setNext("stream");
        if (line3[0] === cst.BOM) {
          yield* this.pushCount(1);
          line3 = line3.substring(1);
        }
        if (line3[0] === "%") {
          let dirEnd = line3.length;
          let cs = line3.indexOf("#");
          while (cs !== -1) {
            const ch = line3[cs - 1];
            if (ch === " " || ch === "	") {
              dirEnd = cs - 1;
              break;
            } else {
              cs = line3.indexOf("#", cs + 1);
            }
          }
          while (true) {
            const ch = line3[dirEnd - 1];
            if (ch === " " || ch === "	")
              dirEnd -= 1;
            else
              break;
          }
          const n = (yield* this.pushCount(dirEnd)) + (yield* this.pushSpaces(true));
          yield* this.pushCount(line3.length - n);
          this.pushNewline();
          return "stream";
        }
        if (this.atLineEnd()) {
          const sp = yield* this.pushSpaces(true);
          yield* this.pushCount(line3.length - sp);
          yield* this.pushNewline();
          return "stream";
        }
        yield cst.DOCUMENT;
        return yield* this.parseLineStart();
      }
      *parseLineStart() {
        const ch = this.charAt(0);
        if (!ch && !this.atEnd)
          return this.setNext("line-start");
        if (ch === "-" || ch === ".") {
          if (!this.atEnd && !this.hasChars(4))
            return this.setNext("line-start");
          const s = this.peek(3);
          if ((s === "---" || s === "...") && isEmpty(this.charAt(3))) {
            yield* this.pushCount(3);
            this.indentValue = 0;
            this.indentNext = 0;
            return s === "---" ? "doc" : "stream";
          }
        }
        this.indentValue = yield* this.pushSpaces(false);
        if (this.indentNext > this.indentValue && !isEmpty(this.charAt(1)))
          this.indentNext = this.indentValue;
        return yield* this.parseBlockStart();
      }
      *parseBlockStart() {
        const [ch0, ch1] = this.peek(2);
        if (!ch1 && !this.atEnd)
          return this.setNext("block-start");
        if ((ch0 === "-" || ch0 === "?" || ch0 === ":") && isEmpty(ch1)) {
          const n = (yield* this.pushCount(1)) + (yield* this.pushSpaces(true));
          this.indentNext = this.indentValue + 1;
          this.indentValue += n;
          return "block-start";
        }
        return "doc";
      }
      *parseDocument() {
        yield* this.pushSpaces(true);
        const line3 = this.getLine();
        if (line3 === null)
          return this.setNext("doc");
        let n = yield* this.pushIndicators();
        switch (line3[n]) {
          case "#":
            yield* this.pushCount(line3.length - n);
          // fallthrough
          case void 0:
            yield* this.pushNewline();
            return yield* this.parseLineStart();
          case "{":
          case "[":
            yield* this.pushCount(1);
            this.flowKey = false;
            this.flowLevel = 1;
            return "flow";
          case "}":
          case "]":
            yield* this.pushCount(1);
            return "doc";
          case "*":
            yield* this.pushUntil(isNotAnchorChar);
            return "doc";
          case '"':
          case "'":
            return yield* this.parseQuotedScalar();
          case "|":
          case ">":
            n += yield* this.parseBlockScalarHeader();
            n += yield* this.pushSpaces(true);
            yield* this.pushCount(line3.length - n);
            yield* this.pushNewline();
            return yield* this.parseBlockScalar();
          default:
            return yield* this.parsePlainScalar();
        }
      }
      *parseFlowCollection() {
        let nl, sp;
        let indent = -1;
        do {
          nl = yield* this.pushNewline();
          if (nl > 0) {
            sp = yield* this.pushSpaces(false);
            this.indentValue = indent = sp;
          } else {
            sp = 0;
          }
          sp += yield* this.pushSpaces(true);
        } while (nl + sp > 0);
        const line3 = this.getLine();
        if (line3 === null)
          return this.setNext("flow");
        if (indent !== -1 && indent < this.indentNext && line3[0] !== "#" || indent === 0 && (line3.startsWith("---") || line3.startsWith("...")) && isEmpty(line3[3])) {
          const atFlowEndMarker = indent === this.indentNext - 1 && this.flowLevel === 1 && (line3[0] === "]" || line3[0] === "}");
          if (!atFlowEndMarker) {
            this.flowLevel = 0;
            yield cst.FLOW_END;
            return yield* this.parseLineStart();
          }
        }
        let n = 0;
        while (line3[n] === ",") {
          n += yield* this.pushCount(1);
          n += yield* this.pushSpaces(true);
          this.flowKey = false;
        }
        n += yield* this.pushIndicators();
        switch (line3[n]) {
          case void 0:
            return "flow";
          case "#":
            yield* this.pushCount(line3.length - n);
            return "flow";
          case "{":
          case "[":
            yield* this.pushCount(1);
            this.flowKey = false;
            this.flowLevel += 1;
            return "flow";
          case "}":
          case "]":
            yield* this.pushCount(1);
            this.flowKey = true;
            this.flowLevel -= 1;
            return this.flowLevel ? "flow" : "doc";
          case "*":
            yield* this.pushUntil(isNotAnchorChar);
            return "flow";
          case '"':
          case "'":
            this.flowKey = true;
            return yield* this.parseQuotedScalar();
          case ":": {
            const next = this.charAt(1);
            if (this.flowKey || isEmpty(next) || next === ",") {
              this.flowKey = false;
              yield* this.pushCount(1);
              yield* this.pushSpaces(true);
              return "flow";
            }
          }
          // fallthrough
          default:
            this.flowKey = false;
            return yield* this.parsePlainScalar();
        }
      }
      *parseQuotedScalar() {
        const quote2 = this.charAt(0);
        let end = this.buffer.indexOf(quote2, this.pos + 1);
        if (quote2 === "'") {
          while (end !== -1 && this.buffer[end + 1] === "'")
            end = this.buffer.indexOf("'", end + 2);
        } else {
          while (end !== -1) {
            let n = 0;
            while (this.buffer[end - 1 - n] === "\\")
              n += 1;
            if (n % 2 === 0)
              break;
            end = this.buffer.indexOf('"', end + 1);
          }
        }
        const qb = this.buffer.substring(0, end);
        let nl = qb.indexOf("\n", this.pos);
        if (nl !== -1) {
          while (nl !== -1) {
            const cs = this.continueScalar(nl + 1);
            if (cs === -1)
              break;
            nl = qb.indexOf("\n", cs);
          }
          if (nl !== -1) {
            end = nl - (qb[nl - 1] === "\r" ? 2 : 1);
          }
        }
        if (end === -1) {
          if (!this.atEnd)
            return this.setNext("quoted-scalar");
          end = this.buffer.length;
        }
        yield* this.pushToIndex(end + 1, false);
        return this.flowLevel ? "flow" : "doc";
      }
      *parseBlockScalarHeader() {
        this.blockScalarIndent = -1;
        this.blockScalarKeep = false;
        let i = this.pos;
        while (true) {
          const ch = this.buffer[++i];
          if (ch === "+")
            this.blockScalarKeep = true;
          else if (ch > "0" && ch <= "9")
            this.blockScalarIndent = Number(ch) - 1;
          else if (ch !== "-")
            break;
        }
        return yield* this.pushUntil((ch) => isEmpty(ch) || ch === "#");
      }
      *parseBlockScalar() {
        let nl = this.pos - 1;
        let indent = 0;
        let ch;
        loop: for (let i2 = this.pos; ch = this.buffer[i2]; ++i2) {
          switch (ch) {
            case " ":
              indent += 1;
              break;
            case "\n":
              nl = i2;
              indent = 0;
              break;
            case "\r": {
              const next = this.buffer[i2 + 1];
              if (!next && !this.atEnd)
                return this.setNext("block-scalar");
              if (next === "\n")
                break;
            }
            // fallthrough
            default:
              break loop;
          }
        }
        if (!ch && !this.atEnd)
          return this.setNext("block-scalar");
        if (indent >= this.indentNext) {
          if (this.blockScalarIndent === -1)
            this.indentNext = indent;
          else {
            this.indentNext = this.blockScalarIndent + (this.indentNext === 0 ? 1 : this.indentNext);
          }
          do {
            const cs = this.continueScalar(nl + 1);
            if (cs === -1)
              break;
            nl = this.buffer.indexOf("\n", cs);
          } while (nl !== -1);
          if (nl === -1) {
            if (!this.atEnd)
              return this.setNext("block-scalar");
            nl = this.buffer.length;
          }
        }
        let i = nl + 1;
        ch = this.buffer[i];
        while (ch === " ")
          ch = this.buffer[++i];
        if (ch === "	") {
          while (ch === "	" || ch === " " || ch === "\r" || ch === "\n")
            ch = this.buffer[++i];
          nl = i - 1;
        } else if (!this.blockScalarKeep) {
          do {
            let i2 = nl - 1;
            let ch2 = this.buffer[i2];
            if (ch2 === "\r")
              ch2 = this.buffer[--i2];
            const lastChar = i2;
            while (ch2 === " ")
              ch2 = this.buffer[--i2];
            if (ch2 === "\n" && i2 >= this.pos && i2 + 1 + indent > lastChar)
              nl = i2;
            else
              break;
          } while (true);
        }
        yield cst.SCALAR;
        yield* this.pushToIndex(nl + 1, true);
        return yield* this.parseLineStart();
      }
      *parsePlainScalar() {
        const inFlow = this.flowLevel > 0;
        let end = this.pos - 1;
        let i = this.pos - 1;
        let ch;
        while (ch = this.buffer[++i]) {
          if (ch === ":") {
            const next = this.buffer[i + 1];
            if (isEmpty(next) || inFlow && flowIndicatorChars.has(next))
              break;
            end = i;
          } else if (isEmpty(ch)) {
            let next = this.buffer[i + 1];
            if (ch === "\r") {
              if (next === "\n") {
                i += 1;
                ch = "\n";
                next = this.buffer[i + 1];
              } else
                end = i;
            }
            if (next === "#" || inFlow && flowIndicatorChars.has(next))
              break;
            if (ch === "\n") {
              const cs = this.continueScalar(i + 1);
              if (cs === -1)
                break;
              i = Math.max(i, cs - 2);
            }
          } else {
            if (inFlow && flowIndicatorChars.has(ch))
              break;
            end = i;
          }
        }
        if (!ch && !this.atEnd)
          return this.setNext("plain-scalar");
        yield cst.SCALAR;
        yield* this.pushToIndex(end + 1, true);
        return inFlow ? "flow" : "doc";
      }
      *pushCount(n) {
        if (n > 0) {
          yield this.buffer.substr(this.pos, n);
          this.pos += n;
          return n;
        }
        return 0;
      }
      *pushToIndex(i, allowEmpty) {
        const s = this.buffer.slice(this.pos, i);
        if (s) {
          yield s;
          this.pos += s.length;
          return s.length;
        } else if (allowEmpty)
          yield "";
        return 0;
      }
      *pushIndicators() {
        let n = 0;
        loop: while (true) {
          switch (this.charAt(0)) {
            case "!":
              n += yield* this.pushTag();
              n += yield* this.pushSpaces(true);
              continue loop;
            case "&":
              n += yield* this.pushUntil(isNotAnchorChar);
              n += yield* this.pushSpaces(true);
              continue loop;
            case "-":
            // this is an error
            case "?":
            // this is an error outside flow collections
            case ":": {
              const inFlow = this.flowLevel > 0;
              const ch1 = this.charAt(1);
              if (isEmpty(ch1) || inFlow && flowIndicatorChars.has(ch1)) {
                if (!inFlow)
                  this.indentNext = this.indentValue + 1;
                else if (this.flowKey)
                  this.flowKey = false;
                n += yield* this.pushCount(1);
                n += yield* this.pushSpaces(true);
                continue loop;
              }
            }
          }
          break loop;
        }
        return n;
      }
      *pushTag() {
        if (this.charAt(1) === "<") {
          let i = this.pos + 2;
          let ch = this.buffer[i];
          while (!isEmpty(ch) && ch !== ">")
            ch = this.buffer[++i];
          return yield* this.pushToIndex(ch === ">" ? i + 1 : i, false);
        } else {
          let i = this.pos + 1;
          let ch = this.buffer[i];
          while (ch) {
            if (tagChars.has(ch))
              ch = this.buffer[++i];
            else if (ch === "%" && hexDigits.has(this.buffer[i + 1]) && hexDigits.has(this.buffer[i + 2])) {
              ch = this.buffer[i += 3];
            } else
              break;
          }
          return yield* this.pushToIndex(i, false);
        }
      }
      *pushNewline() {
        const ch = this.buffer[this.pos];
        if (ch === "\n")
          return yield* this.pushCount(1);
        else if (ch === "\r" && this.charAt(1) === "\n")
          return yield* this.pushCount(2);
        else
          return 0;
      }
      *pushSpaces(allowTabs) {
        let i = this.pos - 1;
        let ch;
        do {
          ch = this.buffer[++i];
        } while (ch === " " || allowTabs && ch === "	");
        const n = i - this.pos;
        if (n > 0) {
          yield this.buffer.substr(this.pos, n);
          this.pos = i;
        }
        return n;
      }
      *pushUntil(test) {
        let i = this.pos;
        let ch = this.buffer[i];
        while (!test(ch))
          ch = this.buffer[++i];
        return yield* this.pushToIndex(i, false);
      }
    };
    exports.Lexer = Lexer;
  }
});

// ../../work/main/node_modules/yaml/dist/parse/line-counter.js
var require_line_counter = __commonJS({
  "../../work/main/node_modules/yaml/dist/parse/line-counter.js"(exports) {
    "use strict";
    var LineCounter2 = class {
      constructor() {
        this.lineStarts = [];
        this.addNewLine = (offset) => this.lineStarts.push(offset);
        this.linePos = (offset) => {
          let low = 0;
          let high = this.lineStarts.length;
          while (low < high) {
            const mid = low + high >> 1;
            if (this.lineStarts[mid] < offset)
              low = mid + 1;
            else
              high = mid;
          }
          if (this.lineStarts[low] === offset)
            return { line: low + 1, col: 1 };
          if (low === 0)
            return { line: 0, col: offset };
          const start = this.lineStarts[low - 1];
          return { line: low, col: offset - start + 1 };
        };
      }
    };
    exports.LineCounter = LineCounter2;
  }
});

// ../../work/main/node_modules/yaml/dist/parse/parser.js
var require_parser = __commonJS({
  "../../work/main/node_modules/yaml/dist/parse/parser.js"(exports) {
    "use strict";
    var node_process = __require("process");
    var cst = require_cst();
    var lexer = require_lexer();
    function includesToken(list, type2) {
      for (let i = 0; i < list.length; ++i)
        if (list[i].type === type2)
          return true;
      return false;
    }
    function findNonEmptyIndex(list) {
      for (let i = 0; i < list.length; ++i) {
        switch (list[i].type) {
          case "space":
          case "comment":
          case "newline":
            break;
          default:
            return i;
        }
      }
      return -1;
    }
    function isFlowToken(token) {
      switch (token?.type) {
        case "alias":
        case "scalar":
        case "single-quoted-scalar":
        case "double-quoted-scalar":
        case "flow-collection":
          return true;
        default:
          return false;
      }
    }
    function getPrevProps(parent) {
      switch (parent.type) {
        case "document":
          return parent.start;
        case "block-map": {
          const it = parent.items[parent.items.length - 1];
          return it.sep ?? it.start;
        }
        case "block-seq":
          return parent.items[parent.items.length - 1].start;
        /* istanbul ignore next should not happen */
        default:
          return [];
      }
    }
    function getFirstKeyStartProps(prev) {
      if (prev.length === 0)
        return [];
      let i = prev.length;
      loop: while (--i >= 0) {
        switch (prev[i].type) {
          case "doc-start":
          case "explicit-key-ind":
          case "map-value-ind":
          case "seq-item-ind":
          case "newline":
            break loop;
        }
      }
      while (prev[++i]?.type === "space") {
      }
      return prev.splice(i, prev.length);
    }
    function arrayPushArray(target, source) {
      if (source.length < 1e5)
        Array.prototype.push.apply(target, source);
      else
        for (let i = 0; i < source.length; ++i)
          target.push(source[i]);
    }
    function fixFlowSeqItems(fc) {
      if (fc.start.type === "flow-seq-start") {
        for (const it of fc.items) {
          if (it.sep && !it.value && !includesToken(it.start, "explicit-key-ind") && !includesToken(it.sep, "map-value-ind")) {
            if (it.key)
              it.value = it.key;
            delete it.key;
            if (isFlowToken(it.value)) {
              if (it.value.end)
                arrayPushArray(it.value.end, it.sep);
              else
                it.value.end = it.sep;
            } else
              arrayPushArray(it.start, it.sep);
            delete it.sep;
          }
        }
      }
    }
    var Parser2 = class {
      /**
       * @param onNewLine - If defined, called separately with the start position of
       *   each new line (in `parse()`, including the start of input).
       */
      constructor(onNewLine) {
        this.atNewLine = true;
        this.atScalar = false;
        this.indent = 0;
        this.offset = 0;
        this.onKeyLine = false;
        this.stack = [];
        this.source = "";
        this.type = "";
        this.lexer = new lexer.Lexer();
        this.onNewLine = onNewLine;
      }
      /**
       * Parse `source` as a YAML stream.
       * If `incomplete`, a part of the last line may be left as a buffer for the next call.
       *
       * Errors are not thrown, but yielded as `{ type: 'error', message }` tokens.
       *
       * @returns A generator of tokens representing each directive, document, and other structure.
       */
      *parse(source, incomplete = false) {
        if (this.onNewLine && this.offset === 0)
          this.onNewLine(0);
        for (const lexeme of this.lexer.lex(source, incomplete))
          yield* this.next(lexeme);
        if (!incomplete)
          yield* this.end();
      }
      /**
       * Advance the parser by the `source` of one lexical token.
       */
      *next(source) {
        this.source = source;
        if (node_process.env.LOG_TOKENS)
          console.log("|", cst.prettyToken(source));
        if (this.atScalar) {
          this.atScalar = false;
          yield* this.step();
          this.offset += source.length;
          return;
        }
        const type2 = cst.tokenType(source);
        if (!type2) {
          const message = `Not a YAML token: ${source}`;
          yield* this.pop({ type: "error", offset: this.offset, message, source });
          this.offset += source.length;
        } else if (type2 === "scalar") {
          this.atNewLine = false;
          this.atScalar = true;
          this.type = "scalar";
        } else {
          this.type = type2;
          yield* this.step();
          switch (type2) {
            case "newline":
              this.atNewLine = true;
              this.indent = 0;
              if (this.onNewLine)
                this.onNewLine(this.offset + source.length);
              break;
            case "space":
              if (this.atNewLine && source[0] === " ")
                this.indent += source.length;
              break;
            case "explicit-key-ind":
            case "map-value-ind":
            case "seq-item-ind":
              if (this.atNewLine)
                this.indent += source.length;
              break;
            case "doc-mode":
            case "flow-error-end":
              return;
            default:
              this.atNewLine = false;
          }
          this.offset += source.length;
        }
      }
      /** Call at end of input to push out any remaining constructions */
      *end() {
        while (this.stack.length > 0)
          yield* this.pop();
      }
      get sourceToken() {
        const st = {
          type: this.type,
          offset: this.offset,
          indent: this.indent,
          source: this.source
        };
        return st;
      }
      *step() {
        const top = this.peek(1);
        if (this.type === "doc-end" && top?.type !== "doc-end") {
          while (this.stack.length > 0)
            yield* this.pop();
          this.stack.push({
            type: "doc-end",
            offset: this.offset,
            source: this.source
          });
          return;
        }
        if (!top)
          return yield* this.stream();
        switch (top.type) {
          case "document":
            return yield* this.document(top);
          case "alias":
          case "scalar":
          case "single-quoted-scalar":
          case "double-quoted-scalar":
            return yield* this.scalar(top);
          case "block-scalar":
            return yield* this.blockScalar(top);
          case "block-map":
            return yield* this.blockMap(top);
          case "block-seq":
            return yield* this.blockSequence(top);
          case "flow-collection":
            return yield* this.flowCollection(top);
          case "doc-end":
            return yield* this.documentEnd(top);
        }
        yield* this.pop();
      }
      peek(n) {
        return this.stack[this.stack.length - n];
      }
      *pop(error) {
        const token = error ?? this.stack.pop();
        if (!token) {
          const message = "Tried to pop an empty stack";
          yield { type: "error", offset: this.offset, source: "", message };
        } else if (this.stack.length === 0) {
          yield token;
        } else {
          const top = this.peek(1);
          if (token.type === "block-scalar") {
            token.indent = "indent" in top ? top.indent : 0;
          } else if (token.type === "flow-collection" && top.type === "document") {
            token.indent = 0;
          }
          if (token.type === "flow-collection")
            fixFlowSeqItems(token);
          switch (top.type) {
            case "document":
              top.value = token;
              break;
            case "block-scalar":
              top.props.push(token);
              break;
            case "block-map": {
              const it = top.items[top.items.length - 1];
              if (it.value) {
                top.items.push({ start: [], key: token, sep: [] });
                this.onKeyLine = true;
                return;
              } else if (it.sep) {
                it.value = token;
              } else {
                Object.assign(it, { key: token, sep: [] });
                this.onKeyLine = !it.explicitKey;
                return;
              }
              break;
            }
            case "block-seq": {
              const it = top.items[top.items.length - 1];
              if (it.value)
                top.items.push({ start: [], value: token });
              else
                it.value = token;
              break;
            }
            case "flow-collection": {
              const it = top.items[top.items.length - 1];
              if (!it || it.value)
                top.items.push({ start: [], key: token, sep: [] });
              else if (it.sep)
                it.value = token;
              else
                Object.assign(it, { key: token, sep: [] });
              return;
            }
            /* istanbul ignore next should not happen */
            default:
              yield* this.pop();
              yield* this.pop(token);
          }
          if ((top.type === "document" || top.type === "block-map" || top.type === "block-seq") && (token.type === "block-map" || token.type === "block-seq")) {
            const last = token.items[token.items.length - 1];
            if (last && !last.sep && !last.value && last.start.length > 0 && findNonEmptyIndex(last.start) === -1 && (token.indent === 0 || last.start.every((st) => st.type !== "comment" || st.indent < token.indent))) {
              if (top.type === "document")
                top.end = last.start;
              else
                top.items.push({ start: last.start });
              token.items.splice(-1, 1);
            }
          }
        }
      }
      *stream() {
        switch (this.type) {
          case "directive-line":
            yield { type: "directive", offset: this.offset, source: this.source };
            return;
          case "byte-order-mark":
          case "space":
          case "comment":
          case "newline":
            yield this.sourceToken;
            return;
          case "doc-mode":
          case "doc-start": {
            const doc = {
              type: "document",
              offset: this.offset,
              start: []
            };
            if (this.type === "doc-start")
              doc.start.push(this.sourceToken);
            this.stack.push(doc);
            return;
          }
        }
        yield {
          type: "error",
          offset: this.offset,
          message: `Unexpected ${this.type} token in YAML stream`,
          source: this.source
        };
      }
      *document(doc) {
        if (doc.value)
          return yield* this.lineEnd(doc);
        switch (this.type) {
          case "doc-start": {
            if (findNonEmptyIndex(doc.start) !== -1) {
              yield* this.pop();
              yield* this.step();
            } else
              doc.start.push(this.sourceToken);
            return;
          }
          case "anchor":
          case "tag":
          case "space":
          case "comment":
          case "newline":
            doc.start.push(this.sourceToken);
            return;
        }
        const bv = this.startBlockValue(doc);
        if (bv)
          this.stack.push(bv);
        else {
          yield {
            type: "error",
            offset: this.offset,
            message: `Unexpected ${this.type} token in YAML document`,
            source: this.source
          };
        }
      }
      *scalar(scalar) {
        if (this.type === "map-value-ind") {
          const prev = getPrevProps(this.peek(2));
          const start = getFirstKeyStartProps(prev);
          let sep;
          if (scalar.end) {
            sep = scalar.end;
            sep.push(this.sourceToken);
            delete scalar.end;
          } else
            sep = [this.sourceToken];
          const map2 = {
            type: "block-map",
            offset: scalar.offset,
            indent: scalar.indent,
            items: [{ start, key: scalar, sep }]
          };
          this.onKeyLine = true;
          this.stack[this.stack.length - 1] = map2;
        } else
          yield* this.lineEnd(scalar);
      }
      *blockScalar(scalar) {
        switch (this.type) {
          case "space":
          case "comment":
          case "newline":
            scalar.props.push(this.sourceToken);
            return;
          case "scalar":
            scalar.source = this.source;
            this.atNewLine = true;
            this.indent = 0;
            if (this.onNewLine) {
              let nl = this.source.indexOf("\n") + 1;
              while (nl !== 0) {
                this.onNewLine(this.offset + nl);
                nl = this.source.indexOf("\n", nl) + 1;
              }
            }
            yield* this.pop();
            break;
          /* istanbul ignore next should not happen */
          default:
            yield* this.pop();
            yield* this.step();
        }
      }
      *blockMap(map2) {
        const it = map2.items[map2.items.length - 1];
        switch (this.type) {
          case "newline":
            this.onKeyLine = false;
            if (it.value) {
              const end = "end" in it.value ? it.value.end : void 0;
              const last = Array.isArray(end) ? end[end.length - 1] : void 0;
              if (last?.type === "comment")
                end?.push(this.sourceToken);
              else
                map2.items.push({ start: [this.sourceToken] });
            } else if (it.sep) {
              it.sep.push(this.sourceToken);
            } else {
              it.start.push(this.sourceToken);
            }
            return;
          case "space":
          case "comment":
            if (it.value) {
              map2.items.push({ start: [this.sourceToken] });
            } else if (it.sep) {
              it.sep.push(this.sourceToken);
            } else {
              if (this.atIndentedComment(it.start, map2.indent)) {
                const prev = map2.items[map2.items.length - 2];
                const end = prev?.value?.end;
                if (Array.isArray(end)) {
                  arrayPushArray(end, it.start);
                  end.push(this.sourceToken);
                  map2.items.pop();
                  return;
                }
              }
              it.start.push(this.sourceToken);
            }
            return;
        }
        if (this.indent >= map2.indent) {
          const atMapIndent = !this.onKeyLine && this.indent === map2.indent;
          const atNextItem = atMapIndent && (it.sep || it.explicitKey) && this.type !== "seq-item-ind";
          let start = [];
          if (atNextItem && it.sep && !it.value) {
            const nl = [];
            for (let i = 0; i < it.sep.length; ++i) {
              const st = it.sep[i];
              switch (st.type) {
                case "newline":
                  nl.push(i);
                  break;
                case "space":
                  break;
                case "comment":
                  if (st.indent > map2.indent)
                    nl.length = 0;
                  break;
                default:
                  nl.length = 0;
              }
            }
            if (nl.length >= 2)
              start = it.sep.splice(nl[1]);
          }
          switch (this.type) {
            case "anchor":
            case "tag":
              if (atNextItem || it.value) {
                start.push(this.sourceToken);
                map2.items.push({ start });
                this.onKeyLine = true;
              } else if (it.sep) {
                it.sep.push(this.sourceToken);
              } else {
                it.start.push(this.sourceToken);
              }
              return;
            case "explicit-key-ind":
              if (!it.sep && !it.explicitKey) {
                it.start.push(this.sourceToken);
                it.explicitKey = true;
              } else if (atNextItem || it.value) {
                start.push(this.sourceToken);
                map2.items.push({ start, explicitKey: true });
              } else {
                this.stack.push({
                  type: "block-map",
                  offset: this.offset,
                  indent: this.indent,
                  items: [{ start: [this.sourceToken], explicitKey: true }]
                });
              }
              this.onKeyLine = true;
              return;
            case "map-value-ind":
              if (it.explicitKey) {
                if (!it.sep) {
                  if (includesToken(it.start, "newline")) {
                    Object.assign(it, { key: null, sep: [this.sourceToken] });
                  } else {
                    const start2 = getFirstKeyStartProps(it.start);
                    this.stack.push({
                      type: "block-map",
                      offset: this.offset,
                      indent: this.indent,
                      items: [{ start: start2, key: null, sep: [this.sourceToken] }]
                    });
                  }
                } else if (it.value) {
                  map2.items.push({ start: [], key: null, sep: [this.sourceToken] });
                } else if (includesToken(it.sep, "map-value-ind")) {
                  this.stack.push({
                    type: "block-map",
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, key: null, sep: [this.sourceToken] }]
                  });
                } else if (isFlowToken(it.key) && !includesToken(it.sep, "newline")) {
                  const start2 = getFirstKeyStartProps(it.start);
                  const key = it.key;
                  const sep = it.sep;
                  sep.push(this.sourceToken);
                  delete it.key;
                  delete it.sep;
                  this.stack.push({
                    type: "block-map",
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start: start2, key, sep }]
                  });
                } else if (start.length > 0) {
                  it.sep = it.sep.concat(start, this.sourceToken);
                } else {
                  it.sep.push(this.sourceToken);
                }
              } else {
                if (!it.sep) {
                  Object.assign(it, { key: null, sep: [this.sourceToken] });
                } else if (it.value || atNextItem) {
                  map2.items.push({ start, key: null, sep: [this.sourceToken] });
                } else if (includesToken(it.sep, "map-value-ind")) {
                  this.stack.push({
                    type: "block-map",
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start: [], key: null, sep: [this.sourceToken] }]
                  });
                } else {
                  it.sep.push(this.sourceToken);
                }
              }
              this.onKeyLine = true;
              return;
            case "alias":
            case "scalar":
            case "single-quoted-scalar":
            case "double-quoted-scalar": {
              const fs = this.flowScalar(this.type);
              if (atNextItem || it.value) {
                map2.items.push({ start, key: fs, sep: [] });
                this.onKeyLine = true;
              } else if (it.sep) {
                this.stack.push(fs);
              } else {
                Object.assign(it, { key: fs, sep: [] });
                this.onKeyLine = true;
              }
              return;
            }
            default: {
              const bv = this.startBlockValue(map2);
              if (bv) {
                if (bv.type === "block-seq") {
                  if (!it.explicitKey && it.sep && !includesToken(it.sep, "newline")) {
                    yield* this.pop({
                      type: "error",
                      offset: this.offset,
                      message: "Unexpected block-seq-ind on same line with key",
                      source: this.source
                    });
                    return;
                  }
                } else if (atMapIndent) {
                  map2.items.push({ start });
                }
                this.stack.push(bv);
                return;
              }
            }
          }
        }
        yield* this.pop();
        yield* this.step();
      }
      *blockSequence(seq2) {
        const it = seq2.items[seq2.items.length - 1];
        switch (this.type) {
          case "newline":
            if (it.value) {
              const end = "end" in it.value ? it.value.end : void 0;
              const last = Array.isArray(end) ? end[end.length - 1] : void 0;
              if (last?.type === "comment")
                end?.push(this.sourceToken);
              else
                seq2.items.push({ start: [this.sourceToken] });
            } else
              it.start.push(this.sourceToken);
            return;
          case "space":
          case "comment":
            if (it.value)
              seq2.items.push({ start: [this.sourceToken] });
            else {
              if (this.atIndentedComment(it.start, seq2.indent)) {
                const prev = seq2.items[seq2.items.length - 2];
                const end = prev?.value?.end;
                if (Array.isArray(end)) {
                  arrayPushArray(end, it.start);
                  end.push(this.sourceToken);
                  seq2.items.pop();
                  return;
                }
              }
              it.start.push(this.sourceToken);
            }
            return;
          case "anchor":
          case "tag":
            if (it.value || this.indent <= seq2.indent)
              break;
            it.start.push(this.sourceToken);
            return;
          case "seq-item-ind":
            if (this.indent !== seq2.indent)
              break;
            if (it.value || includesToken(it.start, "seq-item-ind"))
              seq2.items.push({ start: [this.sourceToken] });
            else
              it.start.push(this.sourceToken);
            return;
        }
        if (this.indent > seq2.indent) {
          const bv = this.startBlockValue(seq2);
          if (bv) {
            this.stack.push(bv);
            return;
          }
        }
        yield* this.pop();
        yield* this.step();
      }
      *flowCollection(fc) {
        const it = fc.items[fc.items.length - 1];
        if (this.type === "flow-error-end") {
          let top;
          do {
            yield* this.pop();
            top = this.peek(1);
          } while (top?.type === "flow-collection");
        } else if (fc.end.length === 0) {
          switch (this.type) {
            case "comma":
            case "explicit-key-ind":
              if (!it || it.sep)
                fc.items.push({ start: [this.sourceToken] });
              else
                it.start.push(this.sourceToken);
              return;
            case "map-value-ind":
              if (!it || it.value)
                fc.items.push({ start: [], key: null, sep: [this.sourceToken] });
              else if (it.sep)
                it.sep.push(this.sourceToken);
              else
                Object.assign(it, { key: null, sep: [this.sourceToken] });
              return;
            case "space":
            case "comment":
            case "newline":
            case "anchor":
            case "tag":
              if (!it || it.value)
                fc.items.push({ start: [this.sourceToken] });
              else if (it.sep)
                it.sep.push(this.sourceToken);
              else
                it.start.push(this.sourceToken);
              return;
            case "alias":
            case "scalar":
            case "single-quoted-scalar":
            case "double-quoted-scalar": {
              const fs = this.flowScalar(this.type);
              if (!it || it.value)
                fc.items.push({ start: [], key: fs, sep: [] });
              else if (it.sep)
                this.stack.push(fs);
              else
                Object.assign(it, { key: fs, sep: [] });
              return;
            }
            case "flow-map-end":
            case "flow-seq-end":
              fc.end.push(this.sourceToken);
              return;
          }
          const bv = this.startBlockValue(fc);
          if (bv)
            this.stack.push(bv);
          else {
            yield* this.pop();
            yield* this.step();
          }
        } else {
          const parent = this.peek(2);
          if (parent.type === "block-map" && (this.type === "map-value-ind" && parent.indent === fc.indent || this.type === "newline" && !parent.items[parent.items.length - 1].sep)) {
            yield* this.pop();
            yield* this.step();
          } else if (this.type === "map-value-ind" && parent.type !== "flow-collection") {
            const prev = getPrevProps(parent);
            const start = getFirstKeyStartProps(prev);
            fixFlowSeqItems(fc);
            const sep = fc.end.splice(1, fc.end.length);
            sep.push(this.sourceToken);
            const map2 = {
              type: "block-map",
              offset: fc.offset,
              indent: fc.indent,
              items: [{ start, key: fc, sep }]
            };
            this.onKeyLine = true;
            this.stack[this.stack.length - 1] = map2;
          } else {
            yield* this.lineEnd(fc);
          }
        }
      }
      flowScalar(type2) {
        if (this.onNewLine) {
          let nl = this.source.indexOf("\n") + 1;
          while (nl !== 0) {
            this.onNewLine(this.offset + nl);
            nl = this.source.indexOf("\n", nl) + 1;
          }
        }
        return {
          type: type2,
          offset: this.offset,
          indent: this.indent,
          source: this.source
        };
      }
      startBlockValue(parent) {
        switch (this.type) {
          case "alias":
          case "scalar":
          case "single-quoted-scalar":
          case "double-quoted-scalar":
            return this.flowScalar(this.type);
          case "block-scalar-header":
            return {
              type: "block-scalar",
              offset: this.offset,
              indent: this.indent,
              props: [this.sourceToken],
              source: ""
            };
          case "flow-map-start":
          case "flow-seq-start":
            return {
              type: "flow-collection",
              offset: this.offset,
              indent: this.indent,
              start: this.sourceToken,
              items: [],
              end: []
            };
          case "seq-item-ind":
            return {
              type: "block-seq",
              offset: this.offset,
              indent: this.indent,
              items: [{ start: [this.sourceToken] }]
            };
          case "explicit-key-ind": {
            this.onKeyLine = true;
            const prev = getPrevProps(parent);
            const start = getFirstKeyStartProps(prev);
            start.push(this.sourceToken);
            return {
              type: "block-map",
              offset: this.offset,
              indent: this.indent,
              items: [{ start, explicitKey: true }]
            };
          }
          case "map-value-ind": {
            this.onKeyLine = true;
            const prev = getPrevProps(parent);
            const start = getFirstKeyStartProps(prev);
            return {
              type: "block-map",
              offset: this.offset,
              indent: this.indent,
              items: [{ start, key: null, sep: [this.sourceToken] }]
            };
          }
        }
        return null;
      }
      atIndentedComment(start, indent) {
        if (this.type !== "comment")
          return false;
        if (this.indent <= indent)
          return false;
        return start.every((st) => st.type === "newline" || st.type === "space");
      }
      *documentEnd(docEnd) {
        if (this.type !== "doc-mode") {
          if (docEnd.end)
            docEnd.end.push(this.sourceToken);
          else
            docEnd.end = [this.sourceToken];
          if (this.type === "newline")
            yield* this.pop();
        }
      }
      *lineEnd(token) {
        switch (this.type) {
          case "comma":
          case "doc-start":
          case "doc-end":
          case "flow-seq-end":
          case "flow-map-end":
          case "map-value-ind":
            yield* this.pop();
            yield* this.step();
            break;
          case "newline":
            this.onKeyLine = false;
          // fallthrough
          case "space":
          case "comment":
          default:
            if (token.end)
              token.end.push(this.sourceToken);
            else
              token.end = [this.sourceToken];
            if (this.type === "newline")
              yield* this.pop();
        }
      }
    };
    exports.Parser = Parser2;
  }
});

// ../../work/main/node_modules/yaml/dist/public-api.js
var require_public_api = __commonJS({
  "../../work/main/node_modules/yaml/dist/public-api.js"(exports) {
    "use strict";
    var composer = require_composer();
    var Document = require_Document();
    var errors = require_errors2();
    var log = require_log();
    var identity = require_identity();
    var lineCounter = require_line_counter();
    var parser = require_parser();
    function parseOptions(options) {
      const prettyErrors = options.prettyErrors !== false;
      const lineCounter$1 = options.lineCounter || prettyErrors && new lineCounter.LineCounter() || null;
      return { lineCounter: lineCounter$1, prettyErrors };
    }
    function parseAllDocuments2(source, options = {}) {
      const { lineCounter: lineCounter2, prettyErrors } = parseOptions(options);
      const parser$1 = new parser.Parser(lineCounter2?.addNewLine);
      const composer$1 = new composer.Composer(options);
      const docs = Array.from(composer$1.compose(parser$1.parse(source)));
      if (prettyErrors && lineCounter2)
        for (const doc of docs) {
          doc.errors.forEach(errors.prettifyError(source, lineCounter2));
          doc.warnings.forEach(errors.prettifyError(source, lineCounter2));
        }
      if (docs.length > 0)
        return docs;
      return Object.assign([], { empty: true }, composer$1.streamInfo());
    }
    function parseDocument(source, options = {}) {
      const { lineCounter: lineCounter2, prettyErrors } = parseOptions(options);
      const parser$1 = new parser.Parser(lineCounter2?.addNewLine);
      const composer$1 = new composer.Composer(options);
      let doc = null;
      for (const _doc of composer$1.compose(parser$1.parse(source), true, source.length)) {
        if (!doc)
          doc = _doc;
        else if (doc.options.logLevel !== "silent") {
          doc.errors.push(new errors.YAMLParseError(_doc.range.slice(0, 2), "MULTIPLE_DOCS", "Source contains multiple documents; please use YAML.parseAllDocuments()"));
          break;
        }
      }
      if (prettyErrors && lineCounter2) {
        doc.errors.forEach(errors.prettifyError(source, lineCounter2));
        doc.warnings.forEach(errors.prettifyError(source, lineCounter2));
      }
      return doc;
    }
    function parse(src, reviver, options) {
      let _reviver = void 0;
      if (typeof reviver === "function") {
        _reviver = reviver;
      } else if (options === void 0 && reviver && typeof reviver === "object") {
        options = reviver;
      }
      const doc = parseDocument(src, options);
      if (!doc)
        return null;
      doc.warnings.forEach((warning) => log.warn(doc.options.logLevel, warning));
      if (doc.errors.length > 0) {
        if (doc.options.logLevel !== "silent")
          throw doc.errors[0];
        else
          doc.errors = [];
      }
      return doc.toJS(Object.assign({ reviver: _reviver }, options));
    }
    function stringify(value, replacer, options) {
      let _replacer = null;
      if (typeof replacer === "function" || Array.isArray(replacer)) {
        _replacer = replacer;
      } else if (options === void 0 && replacer) {
        options = replacer;
      }
      if (typeof options === "string")
        options = options.length;
      if (typeof options === "number") {
        const indent = Math.round(options);
        options = indent < 1 ? void 0 : indent > 8 ? { indent: 8 } : { indent };
      }
      if (value === void 0) {
        const { keepUndefined } = options ?? replacer ?? {};
        if (!keepUndefined)
          return void 0;
      }
      if (identity.isDocument(value) && !_replacer)
        return value.toString(options);
      return new Document.Document(value, _replacer, options).toString(options);
    }
    exports.parse = parse;
    exports.parseAllDocuments = parseAllDocuments2;
    exports.parseDocument = parseDocument;
    exports.stringify = stringify;
  }
});

// ../../work/main/node_modules/yaml/dist/index.js
var require_dist = __commonJS({
  "../../work/main/node_modules/yaml/dist/index.js"(exports) {
    "use strict";
    var composer = require_composer();
    var Document = require_Document();
    var Schema2 = require_Schema();
    var errors = require_errors2();
    var Alias = require_Alias();
    var identity = require_identity();
    var Pair = require_Pair();
    var Scalar = require_Scalar();
    var YAMLMap = require_YAMLMap();
    var YAMLSeq = require_YAMLSeq();
    var cst = require_cst();
    var lexer = require_lexer();
    var lineCounter = require_line_counter();
    var parser = require_parser();
    var publicApi = require_public_api();
    var visit = require_visit();
    exports.Composer = composer.Composer;
    exports.Document = Document.Document;
    exports.Schema = Schema2.Schema;
    exports.YAMLError = errors.YAMLError;
    exports.YAMLParseError = errors.YAMLParseError;
    exports.YAMLWarning = errors.YAMLWarning;
    exports.Alias = Alias.Alias;
    exports.isAlias = identity.isAlias;
    exports.isCollection = identity.isCollection;
    exports.isDocument = identity.isDocument;
    exports.isMap = identity.isMap;
    exports.isNode = identity.isNode;
    exports.isPair = identity.isPair;
    exports.isScalar = identity.isScalar;
    exports.isSeq = identity.isSeq;
    exports.Pair = Pair.Pair;
    exports.Scalar = Scalar.Scalar;
    exports.YAMLMap = YAMLMap.YAMLMap;
    exports.YAMLSeq = YAMLSeq.YAMLSeq;
    exports.CST = cst;
    exports.Lexer = lexer.Lexer;
    exports.LineCounter = lineCounter.LineCounter;
    exports.Parser = parser.Parser;
    exports.parse = publicApi.parse;
    exports.parseAllDocuments = publicApi.parseAllDocuments;
    exports.parseDocument = publicApi.parseDocument;
    exports.stringify = publicApi.stringify;
    exports.visit = visit.visit;
    exports.visitAsync = visit.visitAsync;
  }
});

// ../../work/main/node_modules/picomatch/lib/constants.js
var require_constants = __commonJS({
  "../../work/main/node_modules/picomatch/lib/constants.js"(exports, module) {
    "use strict";
    var WIN_SLASH = "\\\\/";
    var WIN_NO_SLASH = `[^${WIN_SLASH}]`;
    var DEFAULT_MAX_EXTGLOB_RECURSION = 0;
    var DOT_LITERAL = "\\.";
    var PLUS_LITERAL = "\\+";
    var QMARK_LITERAL = "\\?";
    var SLASH_LITERAL = "\\/";
    var ONE_CHAR = "(?=.)";
    var QMARK = "[^/]";
    var END_ANCHOR = `(?:${SLASH_LITERAL}|$)`;
    var START_ANCHOR = `(?:^|${SLASH_LITERAL})`;
    var DOTS_SLASH = `${DOT_LITERAL}{1,2}${END_ANCHOR}`;
    var NO_DOT = `(?!${DOT_LITERAL})`;
    var NO_DOTS = `(?!${START_ANCHOR}${DOTS_SLASH})`;
    var NO_DOT_SLASH = `(?!${DOT_LITERAL}{0,1}${END_ANCHOR})`;
    var NO_DOTS_SLASH = `(?!${DOTS_SLASH})`;
    var QMARK_NO_DOT = `[^.${SLASH_LITERAL}]`;
    var STAR = `${QMARK}*?`;
    var SEP = "/";
    var POSIX_CHARS = {
      DOT_LITERAL,
      PLUS_LITERAL,
      QMARK_LITERAL,
      SLASH_LITERAL,
      ONE_CHAR,
      QMARK,
      END_ANCHOR,
      DOTS_SLASH,
      NO_DOT,
      NO_DOTS,
      NO_DOT_SLASH,
      NO_DOTS_SLASH,
      QMARK_NO_DOT,
      STAR,
      START_ANCHOR,
      SEP
    };
    var WINDOWS_CHARS = {
      ...POSIX_CHARS,
      SLASH_LITERAL: `[${WIN_SLASH}]`,
      QMARK: WIN_NO_SLASH,
      STAR: `${WIN_NO_SLASH}*?`,
      DOTS_SLASH: `${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$)`,
      NO_DOT: `(?!${DOT_LITERAL})`,
      NO_DOTS: `(?!(?:^|[${WIN_SLASH}])${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$))`,
      NO_DOT_SLASH: `(?!${DOT_LITERAL}{0,1}(?:[${WIN_SLASH}]|$))`,
      NO_DOTS_SLASH: `(?!${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$))`,
      QMARK_NO_DOT: `[^.${WIN_SLASH}]`,
      START_ANCHOR: `(?:^|[${WIN_SLASH}])`,
      END_ANCHOR: `(?:[${WIN_SLASH}]|$)`,
      SEP: "\\"
    };
    var POSIX_REGEX_SOURCE = {
      __proto__: null,
      alnum: "a-zA-Z0-9",
      alpha: "a-zA-Z",
      ascii: "\\x00-\\x7F",
      blank: " \\t",
      cntrl: "\\x00-\\x1F\\x7F",
      digit: "0-9",
      graph: "\\x21-\\x7E",
      lower: "a-z",
      print: "\\x20-\\x7E ",
      punct: "\\-!\"#$%&'()\\*+,./:;<=>?@[\\]^_`{|}~",
      space: " \\t\\r\\n\\v\\f",
      upper: "A-Z",
      word: "A-Za-z0-9_",
      xdigit: "A-Fa-f0-9"
    };
    module.exports = {
      DEFAULT_MAX_EXTGLOB_RECURSION,
      MAX_LENGTH: 1024 * 64,
      POSIX_REGEX_SOURCE,
      // regular expressions
      REGEX_BACKSLASH: /\\(?![*+?^${}(|)[\]])/g,
      REGEX_NON_SPECIAL_CHARS: /^[^@![\].,$*+?^{}()|\\/]+/,
      REGEX_SPECIAL_CHARS: /[-*+?.^${}(|)[\]]/,
      REGEX_SPECIAL_CHARS_BACKREF: /(\\?)((\W)(\3*))/g,
      REGEX_SPECIAL_CHARS_GLOBAL: /([-*+?.^${}(|)[\]])/g,
      REGEX_REMOVE_BACKSLASH: /(?:\[.*?[^\\]\]|\\(?=.))/g,
      // Replace globs with equivalent patterns to reduce parsing time.
      REPLACEMENTS: {
        __proto__: null,
        "***": "*",
        "**/**": "**",
        "**/**/**": "**"
      },
      // Digits
      CHAR_0: 48,
      /* 0 */
      CHAR_9: 57,
      /* 9 */
      // Alphabet chars.
      CHAR_UPPERCASE_A: 65,
      /* A */
      CHAR_LOWERCASE_A: 97,
      /* a */
      CHAR_UPPERCASE_Z: 90,
      /* Z */
      CHAR_LOWERCASE_Z: 122,
      /* z */
      CHAR_LEFT_PARENTHESES: 40,
      /* ( */
      CHAR_RIGHT_PARENTHESES: 41,
      /* ) */
      CHAR_ASTERISK: 42,
      /* * */
      // Non-alphabetic chars.
      CHAR_AMPERSAND: 38,
      /* & */
      CHAR_AT: 64,
      /* @ */
      CHAR_BACKWARD_SLASH: 92,
      /* \ */
      CHAR_CARRIAGE_RETURN: 13,
      /* \r */
      CHAR_CIRCUMFLEX_ACCENT: 94,
      /* ^ */
      CHAR_COLON: 58,
      /* : */
      CHAR_COMMA: 44,
      /* , */
      CHAR_DOT: 46,
      /* . */
      CHAR_DOUBLE_QUOTE: 34,
      /* " */
      CHAR_EQUAL: 61,
      /* = */
      CHAR_EXCLAMATION_MARK: 33,
      /* ! */
      CHAR_FORM_FEED: 12,
      /* \f */
      CHAR_FORWARD_SLASH: 47,
      /* / */
      CHAR_GRAVE_ACCENT: 96,
      /* ` */
      CHAR_HASH: 35,
      /* # */
      CHAR_HYPHEN_MINUS: 45,
      /* - */
      CHAR_LEFT_ANGLE_BRACKET: 60,
      /* < */
      CHAR_LEFT_CURLY_BRACE: 123,
      /* { */
      CHAR_LEFT_SQUARE_BRACKET: 91,
      /* [ */
      CHAR_LINE_FEED: 10,
      /* \n */
      CHAR_NO_BREAK_SPACE: 160,
      /* \u00A0 */
      CHAR_PERCENT: 37,
      /* % */
      CHAR_PLUS: 43,
      /* + */
      CHAR_QUESTION_MARK: 63,
      /* ? */
      CHAR_RIGHT_ANGLE_BRACKET: 62,
      /* > */
      CHAR_RIGHT_CURLY_BRACE: 125,
      /* } */
      CHAR_RIGHT_SQUARE_BRACKET: 93,
      /* ] */
      CHAR_SEMICOLON: 59,
      /* ; */
      CHAR_SINGLE_QUOTE: 39,
      /* ' */
      CHAR_SPACE: 32,
      /*   */
      CHAR_TAB: 9,
      /* \t */
      CHAR_UNDERSCORE: 95,
      /* _ */
      CHAR_VERTICAL_LINE: 124,
      /* | */
      CHAR_ZERO_WIDTH_NOBREAK_SPACE: 65279,
      /* \uFEFF */
      /**
       * Create EXTGLOB_CHARS
       */
      extglobChars(chars) {
        return {
          "!": { type: "negate", open: "(?:(?!(?:", close: `))${chars.STAR})` },
          "?": { type: "qmark", open: "(?:", close: ")?" },
          "+": { type: "plus", open: "(?:", close: ")+" },
          "*": { type: "star", open: "(?:", close: ")*" },
          "@": { type: "at", open: "(?:", close: ")" }
        };
      },
      /**
       * Create GLOB_CHARS
       */
      globChars(win32) {
        return win32 === true ? WINDOWS_CHARS : POSIX_CHARS;
      }
    };
  }
});

// ../../work/main/node_modules/picomatch/lib/utils.js
var require_utils2 = __commonJS({
  "../../work/main/node_modules/picomatch/lib/utils.js"(exports) {
    "use strict";
    var {
      REGEX_BACKSLASH,
      REGEX_REMOVE_BACKSLASH,
      REGEX_SPECIAL_CHARS,
      REGEX_SPECIAL_CHARS_GLOBAL
    } = require_constants();
    exports.isObject = (val) => val !== null && typeof val === "object" && !Array.isArray(val);
    exports.hasRegexChars = (str2) => REGEX_SPECIAL_CHARS.test(str2);
    exports.isRegexChar = (str2) => str2.length === 1 && exports.hasRegexChars(str2);
    exports.escapeRegex = (str2) => str2.replace(REGEX_SPECIAL_CHARS_GLOBAL, "\\$1");
    exports.toPosixSlashes = (str2) => str2.replace(REGEX_BACKSLASH, "/");
    exports.isWindows = () => {
      if (typeof navigator !== "undefined" && navigator.platform) {
        const platform = navigator.platform.toLowerCase();
        return platform === "win32" || platform === "windows";
      }
      if (typeof process !== "undefined" && process.platform) {
        return process.platform === "win32";
      }
      return false;
    };
    exports.removeBackslashes = (str2) => {
      return str2.replace(REGEX_REMOVE_BACKSLASH, (match) => {
        return match === "\\" ? "" : match;
      });
    };
    exports.escapeLast = (input, char, lastIdx) => {
      const idx = input.lastIndexOf(char, lastIdx);
      if (idx === -1) return input;
      if (input[idx - 1] === "\\") return exports.escapeLast(input, char, idx - 1);
      return `${input.slice(0, idx)}\\${input.slice(idx)}`;
    };
    exports.removePrefix = (input, state = {}) => {
      let output = input;
      if (output.startsWith("./")) {
        output = output.slice(2);
        state.prefix = "./";
      }
      return output;
    };
    exports.wrapOutput = (input, state = {}, options = {}) => {
      const prepend = options.contains ? "" : "^";
      const append = options.contains ? "" : "$";
      let output = `${prepend}(?:${input})${append}`;
      if (state.negated === true) {
        output = `(?:^(?!${output}).*$)`;
      }
      return output;
    };
    exports.basename = (path, { windows } = {}) => {
      const segs = path.split(windows ? /[\\/]/ : "/");
      const last = segs[segs.length - 1];
      if (last === "") {
        return segs[segs.length - 2];
      }
      return last;
    };
  }
});

// ../../work/main/node_modules/picomatch/lib/scan.js
var require_scan = __commonJS({
  "../../work/main/node_modules/picomatch/lib/scan.js"(exports, module) {
    "use strict";
    var utils = require_utils2();
    var {
      CHAR_ASTERISK,
      /* * */
      CHAR_AT,
      /* @ */
      CHAR_BACKWARD_SLASH,
      /* \ */
      CHAR_COMMA,
      /* , */
      CHAR_DOT,
      /* . */
      CHAR_EXCLAMATION_MARK,
      /* ! */
      CHAR_FORWARD_SLASH,
      /* / */
      CHAR_LEFT_CURLY_BRACE,
      /* { */
      CHAR_LEFT_PARENTHESES,
      /* ( */
      CHAR_LEFT_SQUARE_BRACKET,
      /* [ */
      CHAR_PLUS,
      /* + */
      CHAR_QUESTION_MARK,
      /* ? */
      CHAR_RIGHT_CURLY_BRACE,
      /* } */
      CHAR_RIGHT_PARENTHESES,
      /* ) */
      CHAR_RIGHT_SQUARE_BRACKET
      /* ] */
    } = require_constants();
    var isPathSeparator = (code) => {
      return code === CHAR_FORWARD_SLASH || code === CHAR_BACKWARD_SLASH;
    };
    var depth = (token) => {
      if (token.isPrefix !== true) {
        token.depth = token.isGlobstar ? Infinity : 1;
      }
    };
    var scan = (input, options) => {
      const opts = options || {};
      const length = input.length - 1;
      const scanToEnd = opts.parts === true || opts.tokens === true || opts.scanToEnd === true;
      const slashes = [];
      const tokens = [];
      const parts = [];
      let str2 = input;
      let index = -1;
      let start = 0;
      let lastIndex = 0;
      let isBrace = false;
      let isBracket = false;
      let isGlob = false;
      let isExtglob = false;
      let isGlobstar = false;
      let braceEscaped = false;
      let backslashes = false;
      let negated = false;
      let negatedExtglob = false;
      let finished = false;
      let braces = 0;
      let prev;
      let code;
      let token = { value: "", depth: 0, isGlob: false };
      const eos = () => index >= length;
      const peek = () => str2.charCodeAt(index + 1);
      const advance = () => {
        prev = code;
        return str2.charCodeAt(++index);
      };
      while (index < length) {
        code = advance();
        let next;
        if (code === CHAR_BACKWARD_SLASH) {
          backslashes = token.backslashes = true;
          code = advance();
          if (code === CHAR_LEFT_CURLY_BRACE) {
            braceEscaped = true;
          }
          continue;
        }
        if (braceEscaped === true || code === CHAR_LEFT_CURLY_BRACE) {
          braces++;
          while (eos() !== true && (code = advance())) {
            if (code === CHAR_BACKWARD_SLASH) {
              backslashes = token.backslashes = true;
              advance();
              continue;
            }
            if (code === CHAR_LEFT_CURLY_BRACE) {
              braces++;
              continue;
            }
            if (braceEscaped !== true && code === CHAR_DOT && (code = advance()) === CHAR_DOT) {
              isBrace = token.isBrace = true;
              isGlob = token.isGlob = true;
              finished = true;
              if (scanToEnd === true) {
                continue;
              }
              break;
            }
            if (braceEscaped !== true && code === CHAR_COMMA) {
              isBrace = token.isBrace = true;
              isGlob = token.isGlob = true;
              finished = true;
              if (scanToEnd === true) {
                continue;
              }
              break;
            }
            if (code === CHAR_RIGHT_CURLY_BRACE) {
              braces--;
              if (braces === 0) {
                braceEscaped = false;
                isBrace = token.isBrace = true;
                finished = true;
                break;
              }
            }
          }
          if (scanToEnd === true) {
            continue;
          }
          break;
        }
        if (code === CHAR_FORWARD_SLASH) {
          slashes.push(index);
          tokens.push(token);
          token = { value: "", depth: 0, isGlob: false };
          if (finished === true) continue;
          if (prev === CHAR_DOT && index === start + 1) {
            start += 2;
            continue;
          }
          lastIndex = index + 1;
          continue;
        }
        if (opts.noext !== true) {
          const isExtglobChar = code === CHAR_PLUS || code === CHAR_AT || code === CHAR_ASTERISK || code === CHAR_QUESTION_MARK || code === CHAR_EXCLAMATION_MARK;
          if (isExtglobChar === true && peek() === CHAR_LEFT_PARENTHESES) {
            isGlob = token.isGlob = true;
            isExtglob = token.isExtglob = true;
            finished = true;
            if (code === CHAR_EXCLAMATION_MARK && index === start) {
              negatedExtglob = true;
            }
            if (scanToEnd === true) {
              let parens = 0;
              while (eos() !== true && (code = advance())) {
                if (code === CHAR_BACKWARD_SLASH) {
                  backslashes = token.backslashes = true;
                  advance();
                  continue;
                }
                if (code === CHAR_LEFT_PARENTHESES) {
                  parens++;
                  continue;
                }
                if (code === CHAR_RIGHT_PARENTHESES && --parens === 0) {
                  finished = true;
                  break;
                }
              }
              continue;
            }
            break;
          }
        }
        if (code === CHAR_ASTERISK) {
          if (prev === CHAR_ASTERISK) isGlobstar = token.isGlobstar = true;
          isGlob = token.isGlob = true;
          finished = true;
          if (scanToEnd === true) {
            continue;
          }
          break;
        }
        if (code === CHAR_QUESTION_MARK) {
          isGlob = token.isGlob = true;
          finished = true;
          if (scanToEnd === true) {
            continue;
          }
          break;
        }
        if (code === CHAR_LEFT_SQUARE_BRACKET) {
          while (eos() !== true && (next = advance())) {
            if (next === CHAR_BACKWARD_SLASH) {
              backslashes = token.backslashes = true;
              advance();
              continue;
            }
            if (next === CHAR_RIGHT_SQUARE_BRACKET) {
              isBracket = token.isBracket = true;
              isGlob = token.isGlob = true;
              finished = true;
              break;
            }
          }
          if (scanToEnd === true) {
            continue;
          }
          break;
        }
        if (opts.nonegate !== true && code === CHAR_EXCLAMATION_MARK && index === start) {
          negated = token.negated = true;
          start++;
          continue;
        }
        if (opts.noparen !== true && code === CHAR_LEFT_PARENTHESES) {
          isGlob = token.isGlob = true;
          if (scanToEnd === true) {
            let parens = 1;
            while (eos() !== true && (code = advance())) {
              if (code === CHAR_BACKWARD_SLASH) {
                backslashes = token.backslashes = true;
                advance();
                continue;
              }
              if (code === CHAR_LEFT_PARENTHESES) {
                parens++;
                continue;
              }
              if (code === CHAR_RIGHT_PARENTHESES && --parens === 0) {
                finished = true;
                break;
              }
            }
            continue;
          }
          break;
        }
        if (isGlob === true) {
          finished = true;
          if (scanToEnd === true) {
            continue;
          }
          break;
        }
      }
      if (opts.noext === true) {
        isExtglob = false;
        isGlob = false;
      }
      let base = str2;
      let prefix = "";
      let glob = "";
      if (start > 0) {
        prefix = str2.slice(0, start);
        str2 = str2.slice(start);
        lastIndex -= start;
      }
      if (base && isGlob === true && lastIndex > 0) {
        base = str2.slice(0, lastIndex);
        glob = str2.slice(lastIndex);
      } else if (isGlob === true) {
        base = "";
        glob = str2;
      } else {
        base = str2;
      }
      if (base && base !== "" && base !== "/" && base !== str2) {
        if (isPathSeparator(base.charCodeAt(base.length - 1))) {
          base = base.slice(0, -1);
        }
      }
      if (opts.unescape === true) {
        if (glob) glob = utils.removeBackslashes(glob);
        if (base && backslashes === true) {
          base = utils.removeBackslashes(base);
        }
      }
      const state = {
        prefix,
        input,
        start,
        base,
        glob,
        isBrace,
        isBracket,
        isGlob,
        isExtglob,
        isGlobstar,
        negated,
        negatedExtglob
      };
      if (opts.tokens === true) {
        state.maxDepth = 0;
        if (!isPathSeparator(code)) {
          tokens.push(token);
        }
        state.tokens = tokens;
      }
      if (opts.parts === true || opts.tokens === true) {
        let prevIndex;
        for (let idx = 0; idx < slashes.length; idx++) {
          const n2 = prevIndex !== void 0 ? prevIndex + 1 : start;
          const i = slashes[idx];
          const value2 = input.slice(n2, i);
          if (opts.tokens) {
            if (idx === 0 && start !== 0) {
              tokens[idx].isPrefix = true;
              tokens[idx].value = prefix;
            } else {
              tokens[idx].value = value2;
            }
            depth(tokens[idx]);
            state.maxDepth += tokens[idx].depth;
          }
          if (i >= start) {
            parts.push(value2);
            prevIndex = i;
          }
        }
        const n = prevIndex !== void 0 ? prevIndex + 1 : start;
        const value = input.slice(n);
        parts.push(value);
        if (opts.tokens && prevIndex && prevIndex + 1 < input.length) {
          tokens[tokens.length - 1].value = value;
          depth(tokens[tokens.length - 1]);
          state.maxDepth += tokens[tokens.length - 1].depth;
        }
        state.slashes = slashes;
        state.parts = parts;
      }
      return state;
    };
    module.exports = scan;
  }
});

// ../../work/main/node_modules/picomatch/lib/parse.js
var require_parse = __commonJS({
  "../../work/main/node_modules/picomatch/lib/parse.js"(exports, module) {
    "use strict";
    var constants = require_constants();
    var utils = require_utils2();
    var {
      MAX_LENGTH,
      POSIX_REGEX_SOURCE,
      REGEX_NON_SPECIAL_CHARS,
      REGEX_SPECIAL_CHARS_BACKREF,
      REPLACEMENTS
    } = constants;
    var expandRange = (args, options) => {
      if (typeof options.expandRange === "function") {
        return options.expandRange(...args, options);
      }
      args.sort();
      const value = `[${args.join("-")}]`;
      try {
        new RegExp(value);
      } catch (ex) {
        return args.map((v) => utils.escapeRegex(v)).join("..");
      }
      return value;
    };
    var syntaxError = (type2, char) => {
      return `Missing ${type2}: "${char}" - use "\\\\${char}" to match literal characters`;
    };
    var splitTopLevel = (input) => {
      const parts = [];
      let bracket = 0;
      let paren = 0;
      let quote2 = 0;
      let value = "";
      let escaped = false;
      for (const ch of input) {
        if (escaped === true) {
          value += ch;
          escaped = false;
          continue;
        }
        if (ch === "\\") {
          value += ch;
          escaped = true;
          continue;
        }
        if (ch === '"') {
          quote2 = quote2 === 1 ? 0 : 1;
          value += ch;
          continue;
        }
        if (quote2 === 0) {
          if (ch === "[") {
            bracket++;
          } else if (ch === "]" && bracket > 0) {
            bracket--;
          } else if (bracket === 0) {
            if (ch === "(") {
              paren++;
            } else if (ch === ")" && paren > 0) {
              paren--;
            } else if (ch === "|" && paren === 0) {
              parts.push(value);
              value = "";
              continue;
            }
          }
        }
        value += ch;
      }
      parts.push(value);
      return parts;
    };
    var isPlainBranch = (branch) => {
      let escaped = false;
      for (const ch of branch) {
        if (escaped === true) {
          escaped = false;
          continue;
        }
        if (ch === "\\") {
          escaped = true;
          continue;
        }
        if (/[?*+@!()[\]{}]/.test(ch)) {
          return false;
        }
      }
      return true;
    };
    var normalizeSimpleBranch = (branch) => {
      let value = branch.trim();
      let changed = true;
      while (changed === true) {
        changed = false;
        if (/^@\([^\\()[\]{}|]+\)$/.test(value)) {
          value = value.slice(2, -1);
          changed = true;
        }
      }
      if (!isPlainBranch(value)) {
        return;
      }
      return value.replace(/\\(.)/g, "$1");
    };
    var hasRepeatedCharPrefixOverlap = (branches) => {
      const values = branches.map(normalizeSimpleBranch).filter(Boolean);
      for (let i = 0; i < values.length; i++) {
        for (let j = i + 1; j < values.length; j++) {
          const a = values[i];
          const b = values[j];
          const char = a[0];
          if (!char || a !== char.repeat(a.length) || b !== char.repeat(b.length)) {
            continue;
          }
          if (a === b || a.startsWith(b) || b.startsWith(a)) {
            return true;
          }
        }
      }
      return false;
    };
    var parseRepeatedExtglob = (pattern, requireEnd = true) => {
      if (pattern[0] !== "+" && pattern[0] !== "*" || pattern[1] !== "(") {
        return;
      }
      let bracket = 0;
      let paren = 0;
      let quote2 = 0;
      let escaped = false;
      for (let i = 1; i < pattern.length; i++) {
        const ch = pattern[i];
        if (escaped === true) {
          escaped = false;
          continue;
        }
        if (ch === "\\") {
          escaped = true;
          continue;
        }
        if (ch === '"') {
          quote2 = quote2 === 1 ? 0 : 1;
          continue;
        }
        if (quote2 === 1) {
          continue;
        }
        if (ch === "[") {
          bracket++;
          continue;
        }
        if (ch === "]" && bracket > 0) {
          bracket--;
          continue;
        }
        if (bracket > 0) {
          continue;
        }
        if (ch === "(") {
          paren++;
          continue;
        }
        if (ch === ")") {
          paren--;
          if (paren === 0) {
            if (requireEnd === true && i !== pattern.length - 1) {
              return;
            }
            return {
              type: pattern[0],
              body: pattern.slice(2, i),
              end: i
            };
          }
        }
      }
    };
    var buildCharClassStar = (chars) => {
      const source = chars.length === 1 ? utils.escapeRegex(chars[0]) : `[${chars.map((ch) => utils.escapeRegex(ch)).join("")}]`;
      return `${source}*`;
    };
    var getStarExtglobSequenceChars = (pattern) => {
      let index = 0;
      const chars = [];
      while (index < pattern.length) {
        const match = parseRepeatedExtglob(pattern.slice(index), false);
        if (!match || match.type !== "*") {
          return;
        }
        const branches = splitTopLevel(match.body).map((branch2) => branch2.trim());
        if (branches.length !== 1) {
          return;
        }
        const branch = normalizeSimpleBranch(branches[0]);
        if (!branch || branch.length !== 1) {
          return;
        }
        chars.push(branch);
        index += match.end + 1;
      }
      if (chars.length < 1) {
        return;
      }
      return chars;
    };
    var repeatedExtglobRecursion = (pattern) => {
      let depth = 0;
      let value = pattern.trim();
      let match = parseRepeatedExtglob(value);
      while (match) {
        depth++;
        value = match.body.trim();
        match = parseRepeatedExtglob(value);
      }
      return depth;
    };
    var analyzeRepeatedExtglob = (body, options) => {
      if (options.maxExtglobRecursion === false) {
        return { risky: false };
      }
      const max = typeof options.maxExtglobRecursion === "number" ? options.maxExtglobRecursion : constants.DEFAULT_MAX_EXTGLOB_RECURSION;
      const branches = splitTopLevel(body).map((branch) => branch.trim());
      if (branches.length > 1) {
        if (branches.some((branch) => branch === "") || branches.some((branch) => /^[*?]+$/.test(branch)) || hasRepeatedCharPrefixOverlap(branches)) {
          return { risky: true };
        }
      }
      const safeChars = [];
      let sawStarSequence = false;
      let combinable = true;
      for (const branch of branches) {
        const chars = getStarExtglobSequenceChars(branch);
        if (chars) {
          sawStarSequence = true;
          safeChars.push(...chars);
          continue;
        }
        const literal = normalizeSimpleBranch(branch);
        if (literal && literal.length === 1) {
          safeChars.push(literal);
          continue;
        }
        combinable = false;
        if (repeatedExtglobRecursion(branch) > max) {
          return { risky: true };
        }
      }
      if (sawStarSequence) {
        return combinable ? { risky: true, safeOutput: buildCharClassStar([...new Set(safeChars)]) } : { risky: true };
      }
      return { risky: false };
    };
    var parse = (input, options) => {
      if (typeof input !== "string") {
        throw new TypeError("Expected a string");
      }
      input = REPLACEMENTS[input] || input;
      const opts = { ...options };
      const max = typeof opts.maxLength === "number" ? Math.min(MAX_LENGTH, opts.maxLength) : MAX_LENGTH;
      let len = input.length;
      if (len > max) {
        throw new SyntaxError(`Input length: ${len}, exceeds maximum allowed length: ${max}`);
      }
      const bos = { type: "bos", value: "", output: opts.prepend || "" };
      const tokens = [bos];
      const capture = opts.capture ? "" : "?:";
      const PLATFORM_CHARS = constants.globChars(opts.windows);
      const EXTGLOB_CHARS = constants.extglobChars(PLATFORM_CHARS);
      const {
        DOT_LITERAL,
        PLUS_LITERAL,
        SLASH_LITERAL,
        ONE_CHAR,
        DOTS_SLASH,
        NO_DOT,
        NO_DOT_SLASH,
        NO_DOTS_SLASH,
        QMARK,
        QMARK_NO_DOT,
        STAR,
        START_ANCHOR
      } = PLATFORM_CHARS;
      const globstar = (opts2) => {
        return `(${capture}(?:(?!${START_ANCHOR}${opts2.dot ? DOTS_SLASH : DOT_LITERAL}).)*?)`;
      };
      const nodot = opts.dot ? "" : NO_DOT;
      const qmarkNoDot = opts.dot ? QMARK : QMARK_NO_DOT;
      let star = opts.bash === true ? globstar(opts) : STAR;
      if (opts.capture) {
        star = `(${star})`;
      }
      if (typeof opts.noext === "boolean") {
        opts.noextglob = opts.noext;
      }
      const state = {
        input,
        index: -1,
        start: 0,
        dot: opts.dot === true,
        consumed: "",
        output: "",
        prefix: "",
        backtrack: false,
        negated: false,
        brackets: 0,
        braces: 0,
        parens: 0,
        quotes: 0,
        globstar: false,
        tokens
      };
      input = utils.removePrefix(input, state);
      len = input.length;
      const extglobs = [];
      const braces = [];
      const stack = [];
      let prev = bos;
      let value;
      const eos = () => state.index === len - 1;
      const peek = state.peek = (n = 1) => input[state.index + n];
      const advance = state.advance = () => input[++state.index] || "";
      const remaining = () => input.slice(state.index + 1);
      const consume = (value2 = "", num = 0) => {
        state.consumed += value2;
        state.index += num;
      };
      const append = (token) => {
        state.output += token.output != null ? token.output : token.value;
        consume(token.value);
      };
      const negate = () => {
        let count = 1;
        while (peek() === "!" && (peek(2) !== "(" || peek(3) === "?")) {
          advance();
          state.start++;
          count++;
        }
        if (count % 2 === 0) {
          return false;
        }
        state.negated = true;
        state.start++;
        return true;
      };
      const increment = (type2) => {
        state[type2]++;
        stack.push(type2);
      };
      const decrement = (type2) => {
        state[type2]--;
        stack.pop();
      };
      const push = (tok) => {
        if (prev.type === "globstar") {
          const isBrace = state.braces > 0 && (tok.type === "comma" || tok.type === "brace");
          const isExtglob = tok.extglob === true || extglobs.length && (tok.type === "pipe" || tok.type === "paren");
          if (tok.type !== "slash" && tok.type !== "paren" && !isBrace && !isExtglob) {
            state.output = state.output.slice(0, -prev.output.length);
            prev.type = "star";
            prev.value = "*";
            prev.output = star;
            state.output += prev.output;
          }
        }
        if (extglobs.length && tok.type !== "paren") {
          extglobs[extglobs.length - 1].inner += tok.value;
        }
        if (tok.value || tok.output) append(tok);
        if (prev && prev.type === "text" && tok.type === "text") {
          prev.output = (prev.output || prev.value) + tok.value;
          prev.value += tok.value;
          return;
        }
        tok.prev = prev;
        tokens.push(tok);
        prev = tok;
      };
      const extglobOpen = (type2, value2) => {
        const token = { ...EXTGLOB_CHARS[value2], conditions: 1, inner: "" };
        token.prev = prev;
        token.parens = state.parens;
        token.output = state.output;
        token.startIndex = state.index;
        token.tokensIndex = tokens.length;
        const output = (opts.capture ? "(" : "") + token.open;
        increment("parens");
        push({ type: type2, value: value2, output: state.output ? "" : ONE_CHAR });
        push({ type: "paren", extglob: true, value: advance(), output });
        extglobs.push(token);
      };
      const extglobClose = (token) => {
        const literal = input.slice(token.startIndex, state.index + 1);
        const body = input.slice(token.startIndex + 2, state.index);
        const analysis = analyzeRepeatedExtglob(body, opts);
        if ((token.type === "plus" || token.type === "star") && analysis.risky) {
          const safeOutput = analysis.safeOutput ? (token.output ? "" : ONE_CHAR) + (opts.capture ? `(${analysis.safeOutput})` : analysis.safeOutput) : void 0;
          const open = tokens[token.tokensIndex];
          open.type = "text";
          open.value = literal;
          open.output = safeOutput || utils.escapeRegex(literal);
          for (let i = token.tokensIndex + 1; i < tokens.length; i++) {
            tokens[i].value = "";
            tokens[i].output = "";
            delete tokens[i].suffix;
          }
          state.output = token.output + open.output;
          state.backtrack = true;
          push({ type: "paren", extglob: true, value, output: "" });
          decrement("parens");
          return;
        }
        let output = token.close + (opts.capture ? ")" : "");
        let rest;
        if (token.type === "negate") {
          let extglobStar = star;
          if (token.inner && token.inner.length > 1 && token.inner.includes("/")) {
            extglobStar = globstar(opts);
          }
          if (extglobStar !== star || eos() || /^\)+$/.test(remaining())) {
            output = token.close = `)$))${extglobStar}`;
          }
          if (token.inner.includes("*") && (rest = remaining()) && /^\.[^\\/.]+$/.test(rest)) {
            const expression = parse(rest, { ...options, fastpaths: false }).output;
            output = token.close = `)${expression})${extglobStar})`;
          }
          if (token.prev.type === "bos") {
            state.negatedExtglob = true;
          }
        }
        push({ type: "paren", extglob: true, value, output });
        decrement("parens");
      };
      if (opts.fastpaths !== false && !/(^[*!]|[/()[\]{}"])/.test(input)) {
        let backslashes = false;
        let output = input.replace(REGEX_SPECIAL_CHARS_BACKREF, (m, esc2, chars, first, rest, index) => {
          if (first === "\\") {
            backslashes = true;
            return m;
          }
          if (first === "?") {
            if (esc2) {
              return esc2 + first + (rest ? QMARK.repeat(rest.length) : "");
            }
            if (index === 0) {
              return qmarkNoDot + (rest ? QMARK.repeat(rest.length) : "");
            }
            return QMARK.repeat(chars.length);
          }
          if (first === ".") {
            return DOT_LITERAL.repeat(chars.length);
          }
          if (first === "*") {
            if (esc2) {
              return esc2 + first + (rest ? star : "");
            }
            return star;
          }
          return esc2 ? m : `\\${m}`;
        });
        if (backslashes === true) {
          if (opts.unescape === true) {
            output = output.replace(/\\/g, "");
          } else {
            output = output.replace(/\\+/g, (m) => {
              return m.length % 2 === 0 ? "\\\\" : m ? "\\" : "";
            });
          }
        }
        if (output === input && opts.contains === true) {
          state.output = input;
          return state;
        }
        state.output = utils.wrapOutput(output, state, options);
        return state;
      }
      while (!eos()) {
        value = advance();
        if (value === "\0") {
          continue;
        }
        if (value === "\\") {
          const next = peek();
          if (next === "/" && opts.bash !== true) {
            continue;
          }
          if (next === "." || next === ";") {
            continue;
          }
          if (!next) {
            value += "\\";
            push({ type: "text", value });
            continue;
          }
          const match = /^\\+/.exec(remaining());
          let slashes = 0;
          if (match && match[0].length > 2) {
            slashes = match[0].length;
            state.index += slashes;
            if (slashes % 2 !== 0) {
              value += "\\";
            }
          }
          if (opts.unescape === true) {
            value = advance();
          } else {
            value += advance();
          }
          if (state.brackets === 0) {
            push({ type: "text", value });
            continue;
          }
        }
        if (state.brackets > 0 && (value !== "]" || prev.value === "[" || prev.value === "[^")) {
          if (opts.posix !== false && value === ":") {
            const inner = prev.value.slice(1);
            if (inner.includes("[")) {
              prev.posix = true;
              if (inner.includes(":")) {
                const idx = prev.value.lastIndexOf("[");
                const pre = prev.value.slice(0, idx);
                const rest2 = prev.value.slice(idx + 2);
                const posix3 = POSIX_REGEX_SOURCE[rest2];
                if (posix3) {
                  prev.value = pre + posix3;
                  state.backtrack = true;
                  advance();
                  if (!bos.output && tokens.indexOf(prev) === 1) {
                    bos.output = ONE_CHAR;
                  }
                  continue;
                }
              }
            }
          }
          if (value === "[" && peek() !== ":" || value === "-" && peek() === "]") {
            value = `\\${value}`;
          }
          if (value === "]" && (prev.value === "[" || prev.value === "[^")) {
            value = `\\${value}`;
          }
          if (opts.posix === true && value === "!" && prev.value === "[") {
            value = "^";
          }
          prev.value += value;
          append({ value });
          continue;
        }
        if (state.quotes === 1 && value !== '"') {
          value = utils.escapeRegex(value);
          prev.value += value;
          append({ value });
          continue;
        }
        if (value === '"') {
          state.quotes = state.quotes === 1 ? 0 : 1;
          if (opts.keepQuotes === true) {
            push({ type: "text", value });
          }
          continue;
        }
        if (value === "(") {
          increment("parens");
          push({ type: "paren", value });
          continue;
        }
        if (value === ")") {
          if (state.parens === 0 && opts.strictBrackets === true) {
            throw new SyntaxError(syntaxError("opening", "("));
          }
          const extglob = extglobs[extglobs.length - 1];
          if (extglob && state.parens === extglob.parens + 1) {
            extglobClose(extglobs.pop());
            continue;
          }
          push({ type: "paren", value, output: state.parens ? ")" : "\\)" });
          decrement("parens");
          continue;
        }
        if (value === "[") {
          if (opts.nobracket === true || !remaining().includes("]")) {
            if (opts.nobracket !== true && opts.strictBrackets === true) {
              throw new SyntaxError(syntaxError("closing", "]"));
            }
            value = `\\${value}`;
          } else {
            increment("brackets");
          }
          push({ type: "bracket", value });
          continue;
        }
        if (value === "]") {
          if (opts.nobracket === true || prev && prev.type === "bracket" && prev.value.length === 1) {
            push({ type: "text", value, output: `\\${value}` });
            continue;
          }
          if (state.brackets === 0) {
            if (opts.strictBrackets === true) {
              throw new SyntaxError(syntaxError("opening", "["));
            }
            push({ type: "text", value, output: `\\${value}` });
            continue;
          }
          decrement("brackets");
          const prevValue = prev.value.slice(1);
          if (prev.posix !== true && prevValue[0] === "^" && !prevValue.includes("/")) {
            value = `/${value}`;
          }
          prev.value += value;
          append({ value });
          if (opts.literalBrackets === false || utils.hasRegexChars(prevValue)) {
            continue;
          }
          const escaped = utils.escapeRegex(prev.value);
          state.output = state.output.slice(0, -prev.value.length);
          if (opts.literalBrackets === true) {
            state.output += escaped;
            prev.value = escaped;
            continue;
          }
          prev.value = `(${capture}${escaped}|${prev.value})`;
          state.output += prev.value;
          continue;
        }
        if (value === "{" && opts.nobrace !== true) {
          increment("braces");
          const open = {
            type: "brace",
            value,
            output: "(",
            outputIndex: state.output.length,
            tokensIndex: state.tokens.length
          };
          braces.push(open);
          push(open);
          continue;
        }
        if (value === "}") {
          const brace = braces[braces.length - 1];
          if (opts.nobrace === true || !brace) {
            push({ type: "text", value, output: value });
            continue;
          }
          let output = ")";
          if (brace.dots === true) {
            const arr = tokens.slice();
            const range = [];
            for (let i = arr.length - 1; i >= 0; i--) {
              tokens.pop();
              if (arr[i].type === "brace") {
                break;
              }
              if (arr[i].type !== "dots") {
                range.unshift(arr[i].value);
              }
            }
            output = expandRange(range, opts);
            state.backtrack = true;
          }
          if (brace.comma !== true && brace.dots !== true) {
            const out = state.output.slice(0, brace.outputIndex);
            const toks = state.tokens.slice(brace.tokensIndex);
            brace.value = brace.output = "\\{";
            value = output = "\\}";
            state.output = out;
            for (const t of toks) {
              state.output += t.output || t.value;
            }
          }
          push({ type: "brace", value, output });
          decrement("braces");
          braces.pop();
          continue;
        }
        if (value === "|") {
          if (extglobs.length > 0) {
            extglobs[extglobs.length - 1].conditions++;
          }
          push({ type: "text", value });
          continue;
        }
        if (value === ",") {
          let output = value;
          const brace = braces[braces.length - 1];
          if (brace && stack[stack.length - 1] === "braces") {
            brace.comma = true;
            output = "|";
          }
          push({ type: "comma", value, output });
          continue;
        }
        if (value === "/") {
          if (prev.type === "dot" && state.index === state.start + 1) {
            state.start = state.index + 1;
            state.consumed = "";
            state.output = "";
            tokens.pop();
            prev = bos;
            continue;
          }
          push({ type: "slash", value, output: SLASH_LITERAL });
          continue;
        }
        if (value === ".") {
          if (state.braces > 0 && prev.type === "dot") {
            if (prev.value === ".") prev.output = DOT_LITERAL;
            const brace = braces[braces.length - 1];
            prev.type = "dots";
            prev.output += value;
            prev.value += value;
            brace.dots = true;
            continue;
          }
          if (state.braces + state.parens === 0 && prev.type !== "bos" && prev.type !== "slash") {
            push({ type: "text", value, output: DOT_LITERAL });
            continue;
          }
          push({ type: "dot", value, output: DOT_LITERAL });
          continue;
        }
        if (value === "?") {
          const isGroup = prev && prev.value === "(";
          if (!isGroup && opts.noextglob !== true && peek() === "(" && peek(2) !== "?") {
            extglobOpen("qmark", value);
            continue;
          }
          if (prev && prev.type === "paren") {
            const next = peek();
            let output = value;
            if (prev.value === "(" && !/[!=<:]/.test(next) || next === "<" && !/<([!=]|\w+>)/.test(remaining())) {
              output = `\\${value}`;
            }
            push({ type: "text", value, output });
            continue;
          }
          if (opts.dot !== true && (prev.type === "slash" || prev.type === "bos")) {
            push({ type: "qmark", value, output: QMARK_NO_DOT });
            continue;
          }
          push({ type: "qmark", value, output: QMARK });
          continue;
        }
        if (value === "!") {
          if (opts.noextglob !== true && peek() === "(") {
            if (peek(2) !== "?" || !/[!=<:]/.test(peek(3))) {
              extglobOpen("negate", value);
              continue;
            }
          }
          if (opts.nonegate !== true && state.index === 0) {
            negate();
            continue;
          }
        }
        if (value === "+") {
          if (opts.noextglob !== true && peek() === "(" && peek(2) !== "?") {
            extglobOpen("plus", value);
            continue;
          }
          if (prev && prev.value === "(" || opts.regex === false) {
            push({ type: "plus", value, output: PLUS_LITERAL });
            continue;
          }
          if (prev && (prev.type === "bracket" || prev.type === "paren" || prev.type === "brace") || state.parens > 0) {
            push({ type: "plus", value });
            continue;
          }
          push({ type: "plus", value: PLUS_LITERAL });
          continue;
        }
        if (value === "@") {
          if (opts.noextglob !== true && peek() === "(" && peek(2) !== "?") {
            push({ type: "at", extglob: true, value, output: "" });
            continue;
          }
          push({ type: "text", value });
          continue;
        }
        if (value !== "*") {
          if (value === "$" || value === "^") {
            value = `\\${value}`;
          }
          const match = REGEX_NON_SPECIAL_CHARS.exec(remaining());
          if (match) {
            value += match[0];
            state.index += match[0].length;
          }
          push({ type: "text", value });
          continue;
        }
        if (prev && (prev.type === "globstar" || prev.star === true)) {
          prev.type = "star";
          prev.star = true;
          prev.value += value;
          prev.output = star;
          state.backtrack = true;
          state.globstar = true;
          consume(value);
          continue;
        }
        let rest = remaining();
        if (opts.noextglob !== true && /^\([^?]/.test(rest)) {
          extglobOpen("star", value);
          continue;
        }
        if (prev.type === "star") {
          if (opts.noglobstar === true) {
            consume(value);
            continue;
          }
          const prior = prev.prev;
          const before = prior.prev;
          const isStart = prior.type === "slash" || prior.type === "bos";
          const afterStar = before && (before.type === "star" || before.type === "globstar");
          if (opts.bash === true && (!isStart || rest[0] && rest[0] !== "/")) {
            push({ type: "star", value, output: "" });
            continue;
          }
          const isBrace = state.braces > 0 && (prior.type === "comma" || prior.type === "brace");
          const isExtglob = extglobs.length && (prior.type === "pipe" || prior.type === "paren");
          if (!isStart && prior.type !== "paren" && !isBrace && !isExtglob) {
            push({ type: "star", value, output: "" });
            continue;
          }
          while (rest.slice(0, 3) === "/**") {
            const after = input[state.index + 4];
            if (after && after !== "/") {
              break;
            }
            rest = rest.slice(3);
            consume("/**", 3);
          }
          const isEnd = eos() || state.parens > 0 && rest === ")".repeat(state.parens) && !extglobs.some((extglob) => extglob.type === "negate");
          if (prior.type === "bos" && eos()) {
            prev.type = "globstar";
            prev.value += value;
            prev.output = globstar(opts);
            state.output = prev.output;
            state.globstar = true;
            consume(value);
            continue;
          }
          if (prior.type === "slash" && prior.prev.type !== "bos" && !afterStar && isEnd) {
            state.output = state.output.slice(0, -(prior.output + prev.output).length);
            prior.output = `(?:${prior.output}`;
            prev.type = "globstar";
            prev.output = globstar(opts) + (opts.strictSlashes ? ")" : "|$)");
            prev.value += value;
            state.globstar = true;
            state.output += prior.output + prev.output;
            consume(value);
            continue;
          }
          if (prior.type === "slash" && prior.prev.type !== "bos" && rest[0] === "/") {
            const end = rest[1] !== void 0 ? "|$" : "";
            state.output = state.output.slice(0, -(prior.output + prev.output).length);
            prior.output = `(?:${prior.output}`;
            prev.type = "globstar";
            prev.output = `${globstar(opts)}${SLASH_LITERAL}|${SLASH_LITERAL}${end})`;
            prev.value += value;
            state.output += prior.output + prev.output;
            state.globstar = true;
            consume(value + advance());
            push({ type: "slash", value: "/", output: "" });
            continue;
          }
          if (prior.type === "bos" && rest[0] === "/") {
            prev.type = "globstar";
            prev.value += value;
            prev.output = `(?:^|${SLASH_LITERAL}|${globstar(opts)}${SLASH_LITERAL})`;
            state.output = prev.output;
            state.globstar = true;
            consume(value + advance());
            push({ type: "slash", value: "/", output: "" });
            continue;
          }
          state.output = state.output.slice(0, -prev.output.length);
          prev.type = "globstar";
          prev.output = globstar(opts);
          prev.value += value;
          state.output += prev.output;
          state.globstar = true;
          consume(value);
          continue;
        }
        const token = { type: "star", value, output: star };
        if (opts.bash === true) {
          token.output = ".*?";
          if (prev.type === "bos" || prev.type === "slash") {
            token.output = nodot + token.output;
          }
          push(token);
          continue;
        }
        if (prev && (prev.type === "bracket" || prev.type === "paren") && opts.regex === true) {
          token.output = value;
          push(token);
          continue;
        }
        if (state.index === state.start || prev.type === "slash" || prev.type === "dot") {
          if (prev.type === "dot") {
            state.output += NO_DOT_SLASH;
            prev.output += NO_DOT_SLASH;
          } else if (opts.dot === true) {
            state.output += NO_DOTS_SLASH;
            prev.output += NO_DOTS_SLASH;
          } else {
            state.output += nodot;
            prev.output += nodot;
          }
          if (peek() !== "*") {
            state.output += ONE_CHAR;
            prev.output += ONE_CHAR;
          }
        }
        push(token);
      }
      while (state.brackets > 0) {
        if (opts.strictBrackets === true) throw new SyntaxError(syntaxError("closing", "]"));
        state.output = utils.escapeLast(state.output, "[");
        decrement("brackets");
      }
      while (state.parens > 0) {
        if (opts.strictBrackets === true) throw new SyntaxError(syntaxError("closing", ")"));
        state.output = utils.escapeLast(state.output, "(");
        decrement("parens");
      }
      while (state.braces > 0) {
        if (opts.strictBrackets === true) throw new SyntaxError(syntaxError("closing", "}"));
        state.output = utils.escapeLast(state.output, "{");
        decrement("braces");
      }
      if (opts.strictSlashes !== true && (prev.type === "star" || prev.type === "bracket")) {
        push({ type: "maybe_slash", value: "", output: `${SLASH_LITERAL}?` });
      }
      if (state.backtrack === true) {
        state.output = "";
        for (const token of state.tokens) {
          state.output += token.output != null ? token.output : token.value;
          if (token.suffix) {
            state.output += token.suffix;
          }
        }
      }
      return state;
    };
    parse.fastpaths = (input, options) => {
      const opts = { ...options };
      const max = typeof opts.maxLength === "number" ? Math.min(MAX_LENGTH, opts.maxLength) : MAX_LENGTH;
      const len = input.length;
      if (len > max) {
        throw new SyntaxError(`Input length: ${len}, exceeds maximum allowed length: ${max}`);
      }
      input = REPLACEMENTS[input] || input;
      const {
        DOT_LITERAL,
        SLASH_LITERAL,
        ONE_CHAR,
        DOTS_SLASH,
        NO_DOT,
        NO_DOTS,
        NO_DOTS_SLASH,
        STAR,
        START_ANCHOR
      } = constants.globChars(opts.windows);
      const nodot = opts.dot ? NO_DOTS : NO_DOT;
      const slashDot = opts.dot ? NO_DOTS_SLASH : NO_DOT;
      const capture = opts.capture ? "" : "?:";
      const state = { negated: false, prefix: "" };
      let star = opts.bash === true ? ".*?" : STAR;
      if (opts.capture) {
        star = `(${star})`;
      }
      const globstar = (opts2) => {
        if (opts2.noglobstar === true) return star;
        return `(${capture}(?:(?!${START_ANCHOR}${opts2.dot ? DOTS_SLASH : DOT_LITERAL}).)*?)`;
      };
      const create = (str2) => {
        switch (str2) {
          case "*":
            return `${nodot}${ONE_CHAR}${star}`;
          case ".*":
            return `${DOT_LITERAL}${ONE_CHAR}${star}`;
          case "*.*":
            return `${nodot}${star}${DOT_LITERAL}${ONE_CHAR}${star}`;
          case "*/*":
            return `${nodot}${star}${SLASH_LITERAL}${ONE_CHAR}${slashDot}${star}`;
          case "**":
            return nodot + globstar(opts);
          case "**/*":
            return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${slashDot}${ONE_CHAR}${star}`;
          case "**/*.*":
            return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${slashDot}${star}${DOT_LITERAL}${ONE_CHAR}${star}`;
          case "**/.*":
            return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${DOT_LITERAL}${ONE_CHAR}${star}`;
          default: {
            const match = /^(.*?)\.(\w+)$/.exec(str2);
            if (!match) return;
            const source2 = create(match[1]);
            if (!source2) return;
            return source2 + DOT_LITERAL + match[2];
          }
        }
      };
      const output = utils.removePrefix(input, state);
      let source = create(output);
      if (source && opts.strictSlashes !== true) {
        source += `${SLASH_LITERAL}?`;
      }
      return source;
    };
    module.exports = parse;
  }
});

// ../../work/main/node_modules/picomatch/lib/picomatch.js
var require_picomatch = __commonJS({
  "../../work/main/node_modules/picomatch/lib/picomatch.js"(exports, module) {
    "use strict";
    var scan = require_scan();
    var parse = require_parse();
    var utils = require_utils2();
    var constants = require_constants();
    var isObject = (val) => val && typeof val === "object" && !Array.isArray(val);
    var picomatch3 = (glob, options, returnState = false) => {
      if (Array.isArray(glob)) {
        const fns = glob.map((input) => picomatch3(input, options, returnState));
        const arrayMatcher = (str2) => {
          for (const isMatch of fns) {
            const state2 = isMatch(str2);
            if (state2) return state2;
          }
          return false;
        };
        return arrayMatcher;
      }
      const isState = isObject(glob) && glob.tokens && glob.input;
      if (glob === "" || typeof glob !== "string" && !isState) {
        throw new TypeError("Expected pattern to be a non-empty string");
      }
      const opts = options || {};
      const posix3 = opts.windows;
      const regex = isState ? picomatch3.compileRe(glob, options) : picomatch3.makeRe(glob, options, false, true);
      const state = regex.state;
      delete regex.state;
      let isIgnored = () => false;
      if (opts.ignore) {
        const ignoreOpts = { ...options, ignore: null, onMatch: null, onResult: null };
        isIgnored = picomatch3(opts.ignore, ignoreOpts, returnState);
      }
      const matcher = (input, returnObject = false) => {
        const { isMatch, match, output } = picomatch3.test(input, regex, options, { glob, posix: posix3 });
        const result2 = { glob, state, regex, posix: posix3, input, output, match, isMatch };
        if (typeof opts.onResult === "function") {
          opts.onResult(result2);
        }
        if (isMatch === false) {
          result2.isMatch = false;
          return returnObject ? result2 : false;
        }
        if (isIgnored(input)) {
          if (typeof opts.onIgnore === "function") {
            opts.onIgnore(result2);
          }
          result2.isMatch = false;
          return returnObject ? result2 : false;
        }
        if (typeof opts.onMatch === "function") {
          opts.onMatch(result2);
        }
        return returnObject ? result2 : true;
      };
      if (returnState) {
        matcher.state = state;
      }
      return matcher;
    };
    picomatch3.test = (input, regex, options, { glob, posix: posix3 } = {}) => {
      if (typeof input !== "string") {
        throw new TypeError("Expected input to be a string");
      }
      if (input === "") {
        return { isMatch: false, output: "" };
      }
      const opts = options || {};
      const format = opts.format || (posix3 ? utils.toPosixSlashes : null);
      let match = input === glob;
      let output = match && format ? format(input) : input;
      if (match === false) {
        output = format ? format(input) : input;
        match = output === glob;
      }
      if (match === false || opts.capture === true) {
        if (opts.matchBase === true || opts.basename === true) {
          match = picomatch3.matchBase(input, regex, options, posix3);
        } else {
          match = regex.exec(output);
        }
      }
      return { isMatch: Boolean(match), match, output };
    };
    picomatch3.matchBase = (input, glob, options, posix3 = options && options.windows) => {
      const regex = glob instanceof RegExp ? glob : picomatch3.makeRe(glob, options);
      return regex.test(utils.basename(input, { windows: posix3 }));
    };
    picomatch3.isMatch = (str2, patterns, options) => picomatch3(patterns, options)(str2);
    picomatch3.parse = (pattern, options) => {
      if (Array.isArray(pattern)) return pattern.map((p) => picomatch3.parse(p, options));
      return parse(pattern, { ...options, fastpaths: false });
    };
    picomatch3.scan = (input, options) => scan(input, options);
    picomatch3.compileRe = (state, options, returnOutput = false, returnState = false) => {
      if (returnOutput === true) {
        return state.output;
      }
      const opts = options || {};
      const prepend = opts.contains ? "" : "^";
      const append = opts.contains ? "" : "$";
      let source = `${prepend}(?:${state.output})${append}`;
      if (state && state.negated === true) {
        source = `^(?!${source}).*$`;
      }
      const regex = picomatch3.toRegex(source, options);
      if (returnState === true) {
        regex.state = state;
      }
      return regex;
    };
    picomatch3.makeRe = (input, options = {}, returnOutput = false, returnState = false) => {
      if (!input || typeof input !== "string") {
        throw new TypeError("Expected a non-empty string");
      }
      let parsed2 = { negated: false, fastpaths: true };
      if (options.fastpaths !== false && (input[0] === "." || input[0] === "*")) {
        parsed2.output = parse.fastpaths(input, options);
      }
      if (!parsed2.output) {
        parsed2 = parse(input, options);
      }
      return picomatch3.compileRe(parsed2, options, returnOutput, returnState);
    };
    picomatch3.toRegex = (source, options) => {
      try {
        const opts = options || {};
        return new RegExp(source, opts.flags || (opts.nocase ? "i" : ""));
      } catch (err) {
        if (options && options.debug === true) throw err;
        return /$^/;
      }
    };
    picomatch3.constants = constants;
    module.exports = picomatch3;
  }
});

// ../../work/main/node_modules/picomatch/index.js
var require_picomatch2 = __commonJS({
  "../../work/main/node_modules/picomatch/index.js"(exports, module) {
    "use strict";
    var pico = require_picomatch();
    var utils = require_utils2();
    function picomatch3(glob, options, returnState = false) {
      if (options && (options.windows === null || options.windows === void 0)) {
        options = { ...options, windows: utils.isWindows() };
      }
      return pico(glob, options, returnState);
    }
    Object.assign(picomatch3, pico);
    module.exports = picomatch3;
  }
});

// src/check.ts
import { readFileSync, writeFileSync } from "node:fs";

// src/config.ts
var import_ajv = __toESM(require_ajv(), 1);

// ../../work/main/node_modules/js-yaml/dist/js-yaml.mjs
function getDefaultExportFromCjs(x) {
  return x && x.__esModule && Object.prototype.hasOwnProperty.call(x, "default") ? x["default"] : x;
}
var jsYaml = {};
var loader = {};
var common = {};
var hasRequiredCommon;
function requireCommon() {
  if (hasRequiredCommon) return common;
  hasRequiredCommon = 1;
  function isNothing(subject) {
    return typeof subject === "undefined" || subject === null;
  }
  function isObject(subject) {
    return typeof subject === "object" && subject !== null;
  }
  function toArray(sequence) {
    if (Array.isArray(sequence)) return sequence;
    else if (isNothing(sequence)) return [];
    return [sequence];
  }
  function extend(target, source) {
    if (source) {
      const sourceKeys = Object.keys(source);
      for (let index = 0, length = sourceKeys.length; index < length; index += 1) {
        const key = sourceKeys[index];
        target[key] = source[key];
      }
    }
    return target;
  }
  function repeat(string, count) {
    let result2 = "";
    for (let cycle = 0; cycle < count; cycle += 1) {
      result2 += string;
    }
    return result2;
  }
  function isNegativeZero(number) {
    return number === 0 && Number.NEGATIVE_INFINITY === 1 / number;
  }
  common.isNothing = isNothing;
  common.isObject = isObject;
  common.toArray = toArray;
  common.repeat = repeat;
  common.isNegativeZero = isNegativeZero;
  common.extend = extend;
  return common;
}
var exception;
var hasRequiredException;
function requireException() {
  if (hasRequiredException) return exception;
  hasRequiredException = 1;
  function formatError(exception2, compact) {
    let where2 = "";
    const message = exception2.reason || "(unknown reason)";
    if (!exception2.mark) return message;
    if (exception2.mark.name) {
      where2 += 'in "' + exception2.mark.name + '" ';
    }
    where2 += "(" + (exception2.mark.line + 1) + ":" + (exception2.mark.column + 1) + ")";
    if (!compact && exception2.mark.snippet) {
      where2 += "\n\n" + exception2.mark.snippet;
    }
    return message + " " + where2;
  }
  function YAMLException2(reason, mark) {
    Error.call(this);
    this.name = "YAMLException";
    this.reason = reason;
    this.mark = mark;
    this.message = formatError(this, false);
    if (Error.captureStackTrace) {
      Error.captureStackTrace(this, this.constructor);
    } else {
      this.stack = new Error().stack || "";
    }
  }
  YAMLException2.prototype = Object.create(Error.prototype);
  YAMLException2.prototype.constructor = YAMLException2;
  YAMLException2.prototype.toString = function toString(compact) {
    return this.name + ": " + formatError(this, compact);
  };
  exception = YAMLException2;
  return exception;
}
var snippet;
var hasRequiredSnippet;
function requireSnippet() {
  if (hasRequiredSnippet) return snippet;
  hasRequiredSnippet = 1;
  const common2 = requireCommon();
  function getLine(buffer, lineStart, lineEnd, position, maxLineLength) {
    let head = "";
    let tail = "";
    const maxHalfLength = Math.floor(maxLineLength / 2) - 1;
    if (position - lineStart > maxHalfLength) {
      head = " ... ";
      lineStart = position - maxHalfLength + head.length;
    }
    if (lineEnd - position > maxHalfLength) {
      tail = " ...";
      lineEnd = position + maxHalfLength - tail.length;
    }
    return {
      str: head + buffer.slice(lineStart, lineEnd).replace(/\t/g, "\u2192") + tail,
      pos: position - lineStart + head.length
      // relative position
    };
  }
  function padStart(string, max) {
    return common2.repeat(" ", max - string.length) + string;
  }
  function makeSnippet(mark, options) {
    options = Object.create(options || null);
    if (!mark.buffer) return null;
    if (!options.maxLength) options.maxLength = 79;
    if (typeof options.indent !== "number") options.indent = 1;
    if (typeof options.linesBefore !== "number") options.linesBefore = 3;
    if (typeof options.linesAfter !== "number") options.linesAfter = 2;
    const re = /\r?\n|\r|\0/g;
    const lineStarts = [0];
    const lineEnds = [];
    let match;
    let foundLineNo = -1;
    while (match = re.exec(mark.buffer)) {
      lineEnds.push(match.index);
      lineStarts.push(match.index + match[0].length);
      if (mark.position <= match.index && foundLineNo < 0) {
        foundLineNo = lineStarts.length - 2;
      }
    }
    if (foundLineNo < 0) foundLineNo = lineStarts.length - 1;
    let result2 = "";
    const lineNoLength = Math.min(mark.line + options.linesAfter, lineEnds.length).toString().length;
    const maxLineLength = options.maxLength - (options.indent + lineNoLength + 3);
    for (let i = 1; i <= options.linesBefore; i++) {
      if (foundLineNo - i < 0) break;
      const line22 = getLine(
        mark.buffer,
        lineStarts[foundLineNo - i],
        lineEnds[foundLineNo - i],
        mark.position - (lineStarts[foundLineNo] - lineStarts[foundLineNo - i]),
        maxLineLength
      );
      result2 = common2.repeat(" ", options.indent) + padStart((mark.line - i + 1).toString(), lineNoLength) + " | " + line22.str + "\n" + result2;
    }
    const line3 = getLine(mark.buffer, lineStarts[foundLineNo], lineEnds[foundLineNo], mark.position, maxLineLength);
    result2 += common2.repeat(" ", options.indent) + padStart((mark.line + 1).toString(), lineNoLength) + " | " + line3.str + "\n";
    result2 += common2.repeat("-", options.indent + lineNoLength + 3 + line3.pos) + "^\n";
    for (let i = 1; i <= options.linesAfter; i++) {
      if (foundLineNo + i >= lineEnds.length) break;
      const line22 = getLine(
        mark.buffer,
        lineStarts[foundLineNo + i],
        lineEnds[foundLineNo + i],
        mark.position - (lineStarts[foundLineNo] - lineStarts[foundLineNo + i]),
        maxLineLength
      );
      result2 += common2.repeat(" ", options.indent) + padStart((mark.line + i + 1).toString(), lineNoLength) + " | " + line22.str + "\n";
    }
    return result2.replace(/\n$/, "");
  }
  snippet = makeSnippet;
  return snippet;
}
var type;
var hasRequiredType;
function requireType() {
  if (hasRequiredType) return type;
  hasRequiredType = 1;
  const YAMLException2 = requireException();
  const TYPE_CONSTRUCTOR_OPTIONS = [
    "kind",
    "multi",
    "resolve",
    "construct",
    "instanceOf",
    "predicate",
    "represent",
    "representName",
    "defaultStyle",
    "styleAliases"
  ];
  const YAML_NODE_KINDS = [
    "scalar",
    "sequence",
    "mapping"
  ];
  function compileStyleAliases(map2) {
    const result2 = {};
    if (map2 !== null) {
      Object.keys(map2).forEach(function(style) {
        map2[style].forEach(function(alias) {
          result2[String(alias)] = style;
        });
      });
    }
    return result2;
  }
  function Type2(tag, options) {
    options = options || {};
    Object.keys(options).forEach(function(name) {
      if (TYPE_CONSTRUCTOR_OPTIONS.indexOf(name) === -1) {
        throw new YAMLException2('Unknown option "' + name + '" is met in definition of "' + tag + '" YAML type.');
      }
    });
    this.options = options;
    this.tag = tag;
    this.kind = options["kind"] || null;
    this.resolve = options["resolve"] || function() {
      return true;
    };
    this.construct = options["construct"] || function(data) {
      return data;
    };
    this.instanceOf = options["instanceOf"] || null;
    this.predicate = options["predicate"] || null;
    this.represent = options["represent"] || null;
    this.representName = options["representName"] || null;
    this.defaultStyle = options["defaultStyle"] || null;
    this.multi = options["multi"] || false;
    this.styleAliases = compileStyleAliases(options["styleAliases"] || null);
    if (YAML_NODE_KINDS.indexOf(this.kind) === -1) {
      throw new YAMLException2('Unknown kind "' + this.kind + '" is specified for "' + tag + '" YAML type.');
    }
  }
  type = Type2;
  return type;
}
var schema;
var hasRequiredSchema;
function requireSchema() {
  if (hasRequiredSchema) return schema;
  hasRequiredSchema = 1;
  const YAMLException2 = requireException();
  const Type2 = requireType();
  function compileList(schema2, name) {
    const result2 = [];
    schema2[name].forEach(function(currentType) {
      let newIndex = result2.length;
      result2.forEach(function(previousType, previousIndex) {
        if (previousType.tag === currentType.tag && previousType.kind === currentType.kind && previousType.multi === currentType.multi) {
          newIndex = previousIndex;
        }
      });
      result2[newIndex] = currentType;
    });
    return result2;
  }
  function compileMap() {
    const result2 = {
      scalar: {},
      sequence: {},
      mapping: {},
      fallback: {},
      multi: {
        scalar: [],
        sequence: [],
        mapping: [],
        fallback: []
      }
    };
    function collectType(type2) {
      if (type2.multi) {
        result2.multi[type2.kind].push(type2);
        result2.multi["fallback"].push(type2);
      } else {
        result2[type2.kind][type2.tag] = result2["fallback"][type2.tag] = type2;
      }
    }
    for (let index = 0, length = arguments.length; index < length; index += 1) {
      arguments[index].forEach(collectType);
    }
    return result2;
  }
  function Schema2(definition) {
    return this.extend(definition);
  }
  Schema2.prototype.extend = function extend(definition) {
    let implicit = [];
    let explicit = [];
    if (definition instanceof Type2) {
      explicit.push(definition);
    } else if (Array.isArray(definition)) {
      explicit = explicit.concat(definition);
    } else if (definition && (Array.isArray(definition.implicit) || Array.isArray(definition.explicit))) {
      if (definition.implicit) implicit = implicit.concat(definition.implicit);
      if (definition.explicit) explicit = explicit.concat(definition.explicit);
    } else {
      throw new YAMLException2("Schema.extend argument should be a Type, [ Type ], or a schema definition ({ implicit: [...], explicit: [...] })");
    }
    implicit.forEach(function(type2) {
      if (!(type2 instanceof Type2)) {
        throw new YAMLException2("Specified list of YAML types (or a single Type object) contains a non-Type object.");
      }
      if (type2.loadKind && type2.loadKind !== "scalar") {
        throw new YAMLException2("There is a non-scalar type in the implicit list of a schema. Implicit resolving of such types is not supported.");
      }
      if (type2.multi) {
        throw new YAMLException2("There is a multi type in the implicit list of a schema. Multi tags can only be listed as explicit.");
      }
    });
    explicit.forEach(function(type2) {
      if (!(type2 instanceof Type2)) {
        throw new YAMLException2("Specified list of YAML types (or a single Type object) contains a non-Type object.");
      }
    });
    const result2 = Object.create(Schema2.prototype);
    result2.implicit = (this.implicit || []).concat(implicit);
    result2.explicit = (this.explicit || []).concat(explicit);
    result2.compiledImplicit = compileList(result2, "implicit");
    result2.compiledExplicit = compileList(result2, "explicit");
    result2.compiledTypeMap = compileMap(result2.compiledImplicit, result2.compiledExplicit);
    return result2;
  };
  schema = Schema2;
  return schema;
}
var str;
var hasRequiredStr;
function requireStr() {
  if (hasRequiredStr) return str;
  hasRequiredStr = 1;
  const Type2 = requireType();
  str = new Type2("tag:yaml.org,2002:str", {
    kind: "scalar",
    construct: function(data) {
      return data !== null ? data : "";
    }
  });
  return str;
}
var seq;
var hasRequiredSeq;
function requireSeq() {
  if (hasRequiredSeq) return seq;
  hasRequiredSeq = 1;
  const Type2 = requireType();
  seq = new Type2("tag:yaml.org,2002:seq", {
    kind: "sequence",
    construct: function(data) {
      return data !== null ? data : [];
    }
  });
  return seq;
}
var map;
var hasRequiredMap;
function requireMap() {
  if (hasRequiredMap) return map;
  hasRequiredMap = 1;
  const Type2 = requireType();
  map = new Type2("tag:yaml.org,2002:map", {
    kind: "mapping",
    construct: function(data) {
      return data !== null ? data : {};
    }
  });
  return map;
}
var failsafe;
var hasRequiredFailsafe;
function requireFailsafe() {
  if (hasRequiredFailsafe) return failsafe;
  hasRequiredFailsafe = 1;
  const Schema2 = requireSchema();
  failsafe = new Schema2({
    explicit: [
      requireStr(),
      requireSeq(),
      requireMap()
    ]
  });
  return failsafe;
}
var _null;
var hasRequired_null;
function require_null() {
  if (hasRequired_null) return _null;
  hasRequired_null = 1;
  const Type2 = requireType();
  function resolveYamlNull(data) {
    if (data === null) return true;
    const max = data.length;
    return max === 1 && data === "~" || max === 4 && (data === "null" || data === "Null" || data === "NULL");
  }
  function constructYamlNull() {
    return null;
  }
  function isNull(object) {
    return object === null;
  }
  _null = new Type2("tag:yaml.org,2002:null", {
    kind: "scalar",
    resolve: resolveYamlNull,
    construct: constructYamlNull,
    predicate: isNull,
    represent: {
      canonical: function() {
        return "~";
      },
      lowercase: function() {
        return "null";
      },
      uppercase: function() {
        return "NULL";
      },
      camelcase: function() {
        return "Null";
      },
      empty: function() {
        return "";
      }
    },
    defaultStyle: "lowercase"
  });
  return _null;
}
var bool;
var hasRequiredBool;
function requireBool() {
  if (hasRequiredBool) return bool;
  hasRequiredBool = 1;
  const Type2 = requireType();
  function resolveYamlBoolean(data) {
    if (data === null) return false;
    const max = data.length;
    return max === 4 && (data === "true" || data === "True" || data === "TRUE") || max === 5 && (data === "false" || data === "False" || data === "FALSE");
  }
  function constructYamlBoolean(data) {
    return data === "true" || data === "True" || data === "TRUE";
  }
  function isBoolean(object) {
    return Object.prototype.toString.call(object) === "[object Boolean]";
  }
  bool = new Type2("tag:yaml.org,2002:bool", {
    kind: "scalar",
    resolve: resolveYamlBoolean,
    construct: constructYamlBoolean,
    predicate: isBoolean,
    represent: {
      lowercase: function(object) {
        return object ? "true" : "false";
      },
      uppercase: function(object) {
        return object ? "TRUE" : "FALSE";
      },
      camelcase: function(object) {
        return object ? "True" : "False";
      }
    },
    defaultStyle: "lowercase"
  });
  return bool;
}
var int;
var hasRequiredInt;
function requireInt() {
  if (hasRequiredInt) return int;
  hasRequiredInt = 1;
  const common2 = requireCommon();
  const Type2 = requireType();
  function isHexCode(c) {
    return c >= 48 && c <= 57 || c >= 65 && c <= 70 || c >= 97 && c <= 102;
  }
  function isOctCode(c) {
    return c >= 48 && c <= 55;
  }
  function isDecCode(c) {
    return c >= 48 && c <= 57;
  }
  function resolveYamlInteger(data) {
    if (data === null) return false;
    const max = data.length;
    let index = 0;
    let hasDigits = false;
    if (!max) return false;
    let ch = data[index];
    if (ch === "-" || ch === "+") {
      ch = data[++index];
    }
    if (ch === "0") {
      if (index + 1 === max) return true;
      ch = data[++index];
      if (ch === "b") {
        index++;
        for (; index < max; index++) {
          ch = data[index];
          if (ch !== "0" && ch !== "1") return false;
          hasDigits = true;
        }
        return hasDigits && isFinite(parseYamlInteger(data));
      }
      if (ch === "x") {
        index++;
        for (; index < max; index++) {
          if (!isHexCode(data.charCodeAt(index))) return false;
          hasDigits = true;
        }
        return hasDigits && isFinite(parseYamlInteger(data));
      }
      if (ch === "o") {
        index++;
        for (; index < max; index++) {
          if (!isOctCode(data.charCodeAt(index))) return false;
          hasDigits = true;
        }
        return hasDigits && isFinite(parseYamlInteger(data));
      }
    }
    for (; index < max; index++) {
      if (!isDecCode(data.charCodeAt(index))) {
        return false;
      }
      hasDigits = true;
    }
    if (!hasDigits) return false;
    return isFinite(parseYamlInteger(data));
  }
  function parseYamlInteger(data) {
    let value = data;
    let sign = 1;
    let ch = value[0];
    if (ch === "-" || ch === "+") {
      if (ch === "-") sign = -1;
      value = value.slice(1);
      ch = value[0];
    }
    if (value === "0") return 0;
    if (ch === "0") {
      if (value[1] === "b") return sign * parseInt(value.slice(2), 2);
      if (value[1] === "x") return sign * parseInt(value.slice(2), 16);
      if (value[1] === "o") return sign * parseInt(value.slice(2), 8);
    }
    return sign * parseInt(value, 10);
  }
  function constructYamlInteger(data) {
    return parseYamlInteger(data);
  }
  function isInteger(object) {
    return Object.prototype.toString.call(object) === "[object Number]" && (object % 1 === 0 && !common2.isNegativeZero(object));
  }
  int = new Type2("tag:yaml.org,2002:int", {
    kind: "scalar",
    resolve: resolveYamlInteger,
    construct: constructYamlInteger,
    predicate: isInteger,
    represent: {
      binary: function(obj) {
        return obj >= 0 ? "0b" + obj.toString(2) : "-0b" + obj.toString(2).slice(1);
      },
      octal: function(obj) {
        return obj >= 0 ? "0o" + obj.toString(8) : "-0o" + obj.toString(8).slice(1);
      },
      decimal: function(obj) {
        return obj.toString(10);
      },
      hexadecimal: function(obj) {
        return obj >= 0 ? "0x" + obj.toString(16).toUpperCase() : "-0x" + obj.toString(16).toUpperCase().slice(1);
      }
    },
    defaultStyle: "decimal",
    styleAliases: {
      binary: [2, "bin"],
      octal: [8, "oct"],
      decimal: [10, "dec"],
      hexadecimal: [16, "hex"]
    }
  });
  return int;
}
var float;
var hasRequiredFloat;
function requireFloat() {
  if (hasRequiredFloat) return float;
  hasRequiredFloat = 1;
  const common2 = requireCommon();
  const Type2 = requireType();
  const YAML_FLOAT_PATTERN = new RegExp(
    // 2.5e4, 2.5 and integers
    "^(?:[-+]?(?:[0-9]+)(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
  );
  const YAML_FLOAT_SPECIAL_PATTERN = new RegExp(
    "^(?:[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
  );
  function resolveYamlFloat(data) {
    if (data === null) return false;
    if (!YAML_FLOAT_PATTERN.test(data)) {
      return false;
    }
    if (isFinite(parseFloat(data, 10))) {
      return true;
    }
    return YAML_FLOAT_SPECIAL_PATTERN.test(data);
  }
  function constructYamlFloat(data) {
    let value = data.toLowerCase();
    const sign = value[0] === "-" ? -1 : 1;
    if ("+-".indexOf(value[0]) >= 0) {
      value = value.slice(1);
    }
    if (value === ".inf") {
      return sign === 1 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    } else if (value === ".nan") {
      return NaN;
    }
    return sign * parseFloat(value, 10);
  }
  const SCIENTIFIC_WITHOUT_DOT = /^[-+]?[0-9]+e/;
  function representYamlFloat(object, style) {
    if (isNaN(object)) {
      switch (style) {
        case "lowercase":
          return ".nan";
        case "uppercase":
          return ".NAN";
        case "camelcase":
          return ".NaN";
      }
    } else if (Number.POSITIVE_INFINITY === object) {
      switch (style) {
        case "lowercase":
          return ".inf";
        case "uppercase":
          return ".INF";
        case "camelcase":
          return ".Inf";
      }
    } else if (Number.NEGATIVE_INFINITY === object) {
      switch (style) {
        case "lowercase":
          return "-.inf";
        case "uppercase":
          return "-.INF";
        case "camelcase":
          return "-.Inf";
      }
    } else if (common2.isNegativeZero(object)) {
      return "-0.0";
    }
    const res = object.toString(10);
    return SCIENTIFIC_WITHOUT_DOT.test(res) ? res.replace("e", ".e") : res;
  }
  function isFloat(object) {
    return Object.prototype.toString.call(object) === "[object Number]" && (object % 1 !== 0 || common2.isNegativeZero(object));
  }
  float = new Type2("tag:yaml.org,2002:float", {
    kind: "scalar",
    resolve: resolveYamlFloat,
    construct: constructYamlFloat,
    predicate: isFloat,
    represent: representYamlFloat,
    defaultStyle: "lowercase"
  });
  return float;
}
var json;
var hasRequiredJson;
function requireJson() {
  if (hasRequiredJson) return json;
  hasRequiredJson = 1;
  json = requireFailsafe().extend({
    implicit: [
      require_null(),
      requireBool(),
      requireInt(),
      requireFloat()
    ]
  });
  return json;
}
var core;
var hasRequiredCore;
function requireCore() {
  if (hasRequiredCore) return core;
  hasRequiredCore = 1;
  core = requireJson();
  return core;
}
var timestamp;
var hasRequiredTimestamp;
function requireTimestamp() {
  if (hasRequiredTimestamp) return timestamp;
  hasRequiredTimestamp = 1;
  const Type2 = requireType();
  const YAML_DATE_REGEXP = new RegExp(
    "^([0-9][0-9][0-9][0-9])-([0-9][0-9])-([0-9][0-9])$"
  );
  const YAML_TIMESTAMP_REGEXP = new RegExp(
    "^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \\t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\\.([0-9]*))?(?:[ \\t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?$"
  );
  function resolveYamlTimestamp(data) {
    if (data === null) return false;
    if (YAML_DATE_REGEXP.exec(data) !== null) return true;
    if (YAML_TIMESTAMP_REGEXP.exec(data) !== null) return true;
    return false;
  }
  function constructYamlTimestamp(data) {
    let fraction = 0;
    let delta = null;
    let match = YAML_DATE_REGEXP.exec(data);
    if (match === null) match = YAML_TIMESTAMP_REGEXP.exec(data);
    if (match === null) throw new Error("Date resolve error");
    const year = +match[1];
    const month = +match[2] - 1;
    const day = +match[3];
    if (!match[4]) {
      return new Date(Date.UTC(year, month, day));
    }
    const hour = +match[4];
    const minute = +match[5];
    const second = +match[6];
    if (match[7]) {
      fraction = match[7].slice(0, 3);
      while (fraction.length < 3) {
        fraction += "0";
      }
      fraction = +fraction;
    }
    if (match[9]) {
      const tzHour = +match[10];
      const tzMinute = +(match[11] || 0);
      delta = (tzHour * 60 + tzMinute) * 6e4;
      if (match[9] === "-") delta = -delta;
    }
    const date = new Date(Date.UTC(year, month, day, hour, minute, second, fraction));
    if (delta) date.setTime(date.getTime() - delta);
    return date;
  }
  function representYamlTimestamp(object) {
    return object.toISOString();
  }
  timestamp = new Type2("tag:yaml.org,2002:timestamp", {
    kind: "scalar",
    resolve: resolveYamlTimestamp,
    construct: constructYamlTimestamp,
    instanceOf: Date,
    represent: representYamlTimestamp
  });
  return timestamp;
}
var merge;
var hasRequiredMerge;
function requireMerge() {
  if (hasRequiredMerge) return merge;
  hasRequiredMerge = 1;
  const Type2 = requireType();
  function resolveYamlMerge(data) {
    return data === "<<" || data === null;
  }
  merge = new Type2("tag:yaml.org,2002:merge", {
    kind: "scalar",
    resolve: resolveYamlMerge
  });
  return merge;
}
var binary;
var hasRequiredBinary;
function requireBinary() {
  if (hasRequiredBinary) return binary;
  hasRequiredBinary = 1;
  const Type2 = requireType();
  const BASE64_MAP = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n\r";
  function resolveYamlBinary(data) {
    if (data === null) return false;
    let bitlen = 0;
    const max = data.length;
    const map2 = BASE64_MAP;
    for (let idx = 0; idx < max; idx++) {
      const code = map2.indexOf(data.charAt(idx));
      if (code > 64) continue;
      if (code < 0) return false;
      bitlen += 6;
    }
    return bitlen % 8 === 0;
  }
  function constructYamlBinary(data) {
    const input = data.replace(/[\r\n=]/g, "");
    const max = input.length;
    const map2 = BASE64_MAP;
    let bits = 0;
    const result2 = [];
    for (let idx = 0; idx < max; idx++) {
      if (idx % 4 === 0 && idx) {
        result2.push(bits >> 16 & 255);
        result2.push(bits >> 8 & 255);
        result2.push(bits & 255);
      }
      bits = bits << 6 | map2.indexOf(input.charAt(idx));
    }
    const tailbits = max % 4 * 6;
    if (tailbits === 0) {
      result2.push(bits >> 16 & 255);
      result2.push(bits >> 8 & 255);
      result2.push(bits & 255);
    } else if (tailbits === 18) {
      result2.push(bits >> 10 & 255);
      result2.push(bits >> 2 & 255);
    } else if (tailbits === 12) {
      result2.push(bits >> 4 & 255);
    }
    return new Uint8Array(result2);
  }
  function representYamlBinary(object) {
    let result2 = "";
    let bits = 0;
    const max = object.length;
    const map2 = BASE64_MAP;
    for (let idx = 0; idx < max; idx++) {
      if (idx % 3 === 0 && idx) {
        result2 += map2[bits >> 18 & 63];
        result2 += map2[bits >> 12 & 63];
        result2 += map2[bits >> 6 & 63];
        result2 += map2[bits & 63];
      }
      bits = (bits << 8) + object[idx];
    }
    const tail = max % 3;
    if (tail === 0) {
      result2 += map2[bits >> 18 & 63];
      result2 += map2[bits >> 12 & 63];
      result2 += map2[bits >> 6 & 63];
      result2 += map2[bits & 63];
    } else if (tail === 2) {
      result2 += map2[bits >> 10 & 63];
      result2 += map2[bits >> 4 & 63];
      result2 += map2[bits << 2 & 63];
      result2 += map2[64];
    } else if (tail === 1) {
      result2 += map2[bits >> 2 & 63];
      result2 += map2[bits << 4 & 63];
      result2 += map2[64];
      result2 += map2[64];
    }
    return result2;
  }
  function isBinary(obj) {
    return Object.prototype.toString.call(obj) === "[object Uint8Array]";
  }
  binary = new Type2("tag:yaml.org,2002:binary", {
    kind: "scalar",
    resolve: resolveYamlBinary,
    construct: constructYamlBinary,
    predicate: isBinary,
    represent: representYamlBinary
  });
  return binary;
}
var omap;
var hasRequiredOmap;
function requireOmap() {
  if (hasRequiredOmap) return omap;
  hasRequiredOmap = 1;
  const Type2 = requireType();
  const _hasOwnProperty = Object.prototype.hasOwnProperty;
  const _toString = Object.prototype.toString;
  function resolveYamlOmap(data) {
    if (data === null) return true;
    const objectKeys = {};
    const object = data;
    for (let index = 0, length = object.length; index < length; index += 1) {
      const pair = object[index];
      let pairHasKey = false;
      if (_toString.call(pair) !== "[object Object]") return false;
      let pairKey;
      for (pairKey in pair) {
        if (_hasOwnProperty.call(pair, pairKey)) {
          if (!pairHasKey) pairHasKey = true;
          else return false;
        }
      }
      if (!pairHasKey) return false;
      if (_hasOwnProperty.call(objectKeys, pairKey)) return false;
      Object.defineProperty(objectKeys, pairKey, { value: true });
    }
    return true;
  }
  function constructYamlOmap(data) {
    return data !== null ? data : [];
  }
  omap = new Type2("tag:yaml.org,2002:omap", {
    kind: "sequence",
    resolve: resolveYamlOmap,
    construct: constructYamlOmap
  });
  return omap;
}
var pairs;
var hasRequiredPairs;
function requirePairs() {
  if (hasRequiredPairs) return pairs;
  hasRequiredPairs = 1;
  const Type2 = requireType();
  const _toString = Object.prototype.toString;
  function resolveYamlPairs(data) {
    if (data === null) return true;
    const object = data;
    const result2 = new Array(object.length);
    for (let index = 0, length = object.length; index < length; index += 1) {
      const pair = object[index];
      if (_toString.call(pair) !== "[object Object]") return false;
      const keys = Object.keys(pair);
      if (keys.length !== 1) return false;
      result2[index] = [keys[0], pair[keys[0]]];
    }
    return true;
  }
  function constructYamlPairs(data) {
    if (data === null) return [];
    const object = data;
    const result2 = new Array(object.length);
    for (let index = 0, length = object.length; index < length; index += 1) {
      const pair = object[index];
      const keys = Object.keys(pair);
      result2[index] = [keys[0], pair[keys[0]]];
    }
    return result2;
  }
  pairs = new Type2("tag:yaml.org,2002:pairs", {
    kind: "sequence",
    resolve: resolveYamlPairs,
    construct: constructYamlPairs
  });
  return pairs;
}
var set;
var hasRequiredSet;
function requireSet() {
  if (hasRequiredSet) return set;
  hasRequiredSet = 1;
  const Type2 = requireType();
  const _hasOwnProperty = Object.prototype.hasOwnProperty;
  function resolveYamlSet(data) {
    if (data === null) return true;
    const object = data;
    for (const key in object) {
      if (_hasOwnProperty.call(object, key)) {
        if (object[key] !== null) return false;
      }
    }
    return true;
  }
  function constructYamlSet(data) {
    return data !== null ? data : {};
  }
  set = new Type2("tag:yaml.org,2002:set", {
    kind: "mapping",
    resolve: resolveYamlSet,
    construct: constructYamlSet
  });
  return set;
}
var _default;
var hasRequired_default;
function require_default() {
  if (hasRequired_default) return _default;
  hasRequired_default = 1;
  _default = requireCore().extend({
    implicit: [
      requireTimestamp(),
      requireMerge()
    ],
    explicit: [
      requireBinary(),
      requireOmap(),
      requirePairs(),
      requireSet()
    ]
  });
  return _default;
}
var hasRequiredLoader;
function requireLoader() {
  if (hasRequiredLoader) return loader;
  hasRequiredLoader = 1;
  const common2 = requireCommon();
  const YAMLException2 = requireException();
  const makeSnippet = requireSnippet();
  const DEFAULT_SCHEMA2 = require_default();
  const _hasOwnProperty = Object.prototype.hasOwnProperty;
  const CONTEXT_FLOW_IN = 1;
  const CONTEXT_FLOW_OUT = 2;
  const CONTEXT_BLOCK_IN = 3;
  const CONTEXT_BLOCK_OUT = 4;
  const CHOMPING_CLIP = 1;
  const CHOMPING_STRIP = 2;
  const CHOMPING_KEEP = 3;
  const PATTERN_NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;
  const PATTERN_NON_ASCII_LINE_BREAKS = /[\x85\u2028\u2029]/;
  const PATTERN_FLOW_INDICATORS = /[,\[\]{}]/;
  const PATTERN_TAG_HANDLE = /^(?:!|!!|![0-9A-Za-z-]+!)$/;
  const PATTERN_TAG_URI = /^(?:!|[^,\[\]{}])(?:%[0-9a-f]{2}|[0-9a-z\-#;/?:@&=+$,_.!~*'()\[\]])*$/i;
  function _class(obj) {
    return Object.prototype.toString.call(obj);
  }
  function isEol(c) {
    return c === 10 || c === 13;
  }
  function isWhiteSpace(c) {
    return c === 9 || c === 32;
  }
  function isWsOrEol(c) {
    return c === 9 || c === 32 || c === 10 || c === 13;
  }
  function isFlowIndicator(c) {
    return c === 44 || c === 91 || c === 93 || c === 123 || c === 125;
  }
  function fromHexCode(c) {
    if (c >= 48 && c <= 57) {
      return c - 48;
    }
    const lc = c | 32;
    if (lc >= 97 && lc <= 102) {
      return lc - 97 + 10;
    }
    return -1;
  }
  function escapedHexLen(c) {
    if (c === 120) {
      return 2;
    }
    if (c === 117) {
      return 4;
    }
    if (c === 85) {
      return 8;
    }
    return 0;
  }
  function fromDecimalCode(c) {
    if (c >= 48 && c <= 57) {
      return c - 48;
    }
    return -1;
  }
  function simpleEscapeSequence(c) {
    switch (c) {
      case 48:
        return "\0";
      case 97:
        return "\x07";
      case 98:
        return "\b";
      case 116:
        return "	";
      case 9:
        return "	";
      case 110:
        return "\n";
      case 118:
        return "\v";
      case 102:
        return "\f";
      case 114:
        return "\r";
      case 101:
        return "\x1B";
      case 32:
        return " ";
      case 34:
        return '"';
      case 47:
        return "/";
      case 92:
        return "\\";
      case 78:
        return "\x85";
      case 95:
        return "\xA0";
      case 76:
        return "\u2028";
      case 80:
        return "\u2029";
      default:
        return "";
    }
  }
  function charFromCodepoint(c) {
    if (c <= 65535) {
      return String.fromCharCode(c);
    }
    return String.fromCharCode(
      (c - 65536 >> 10) + 55296,
      (c - 65536 & 1023) + 56320
    );
  }
  function setProperty(object, key, value) {
    if (key === "__proto__") {
      Object.defineProperty(object, key, {
        configurable: true,
        enumerable: true,
        writable: true,
        value
      });
    } else {
      object[key] = value;
    }
  }
  const simpleEscapeCheck = new Array(256);
  const simpleEscapeMap = new Array(256);
  for (let i = 0; i < 256; i++) {
    simpleEscapeCheck[i] = simpleEscapeSequence(i) ? 1 : 0;
    simpleEscapeMap[i] = simpleEscapeSequence(i);
  }
  function State(input, options) {
    this.input = input;
    this.filename = options["filename"] || null;
    this.schema = options["schema"] || DEFAULT_SCHEMA2;
    this.onWarning = options["onWarning"] || null;
    this.legacy = options["legacy"] || false;
    this.json = options["json"] || false;
    this.listener = options["listener"] || null;
    this.maxDepth = typeof options["maxDepth"] === "number" ? options["maxDepth"] : 100;
    this.maxTotalMergeKeys = typeof options["maxTotalMergeKeys"] === "number" ? options["maxTotalMergeKeys"] : 1e4;
    this.implicitTypes = this.schema.compiledImplicit;
    this.typeMap = this.schema.compiledTypeMap;
    this.length = input.length;
    this.position = 0;
    this.line = 0;
    this.lineStart = 0;
    this.lineIndent = 0;
    this.depth = 0;
    this.totalMergeKeys = 0;
    this.firstTabInLine = -1;
    this.documents = [];
    this.anchorMapTransactions = [];
  }
  function generateError(state, message) {
    const mark = {
      name: state.filename,
      buffer: state.input.slice(0, -1),
      // omit trailing \0
      position: state.position,
      line: state.line,
      column: state.position - state.lineStart
    };
    mark.snippet = makeSnippet(mark);
    return new YAMLException2(message, mark);
  }
  function throwError(state, message) {
    throw generateError(state, message);
  }
  function throwWarning(state, message) {
    if (state.onWarning) {
      state.onWarning.call(null, generateError(state, message));
    }
  }
  function storeAnchor(state, name, value) {
    const transactions = state.anchorMapTransactions;
    if (transactions.length !== 0) {
      const transaction = transactions[transactions.length - 1];
      if (!_hasOwnProperty.call(transaction, name)) {
        transaction[name] = {
          existed: _hasOwnProperty.call(state.anchorMap, name),
          value: state.anchorMap[name]
        };
      }
    }
    state.anchorMap[name] = value;
  }
  function beginAnchorTransaction(state) {
    state.anchorMapTransactions.push(/* @__PURE__ */ Object.create(null));
  }
  function commitAnchorTransaction(state) {
    const transaction = state.anchorMapTransactions.pop();
    const transactions = state.anchorMapTransactions;
    if (transactions.length === 0) return;
    const parent = transactions[transactions.length - 1];
    const names = Object.keys(transaction);
    for (let index = 0, length = names.length; index < length; index += 1) {
      const name = names[index];
      if (!_hasOwnProperty.call(parent, name)) {
        parent[name] = transaction[name];
      }
    }
  }
  function rollbackAnchorTransaction(state) {
    const transaction = state.anchorMapTransactions.pop();
    const names = Object.keys(transaction);
    for (let index = names.length - 1; index >= 0; index -= 1) {
      const entry = transaction[names[index]];
      if (entry.existed) {
        state.anchorMap[names[index]] = entry.value;
      } else {
        delete state.anchorMap[names[index]];
      }
    }
  }
  function snapshotState(state) {
    return {
      position: state.position,
      line: state.line,
      lineStart: state.lineStart,
      lineIndent: state.lineIndent,
      firstTabInLine: state.firstTabInLine,
      tag: state.tag,
      anchor: state.anchor,
      kind: state.kind,
      result: state.result
    };
  }
  function restoreState(state, snapshot) {
    state.position = snapshot.position;
    state.line = snapshot.line;
    state.lineStart = snapshot.lineStart;
    state.lineIndent = snapshot.lineIndent;
    state.firstTabInLine = snapshot.firstTabInLine;
    state.tag = snapshot.tag;
    state.anchor = snapshot.anchor;
    state.kind = snapshot.kind;
    state.result = snapshot.result;
  }
  const directiveHandlers = {
    YAML: function handleYamlDirective(state, name, args) {
      if (state.version !== null) {
        throwError(state, "duplication of %YAML directive");
      }
      if (args.length !== 1) {
        throwError(state, "YAML directive accepts exactly one argument");
      }
      const match = /^([0-9]+)\.([0-9]+)$/.exec(args[0]);
      if (match === null) {
        throwError(state, "ill-formed argument of the YAML directive");
      }
      const major = parseInt(match[1], 10);
      const minor = parseInt(match[2], 10);
      if (major !== 1) {
        throwError(state, "unacceptable YAML version of the document");
      }
      state.version = args[0];
      state.checkLineBreaks = minor < 2;
      if (minor !== 1 && minor !== 2) {
        throwWarning(state, "unsupported YAML version of the document");
      }
    },
    TAG: function handleTagDirective(state, name, args) {
      let prefix;
      if (args.length !== 2) {
        throwError(state, "TAG directive accepts exactly two arguments");
      }
      const handle = args[0];
      prefix = args[1];
      if (!PATTERN_TAG_HANDLE.test(handle)) {
        throwError(state, "ill-formed tag handle (first argument) of the TAG directive");
      }
      if (_hasOwnProperty.call(state.tagMap, handle)) {
        throwError(state, 'there is a previously declared suffix for "' + handle + '" tag handle');
      }
      if (!PATTERN_TAG_URI.test(prefix)) {
        throwError(state, "ill-formed tag prefix (second argument) of the TAG directive");
      }
      try {
        prefix = decodeURIComponent(prefix);
      } catch (err) {
        throwError(state, "tag prefix is malformed: " + prefix);
      }
      state.tagMap[handle] = prefix;
    }
  };
  function captureSegment(state, start, end, checkJson) {
    if (start < end) {
      const _result = state.input.slice(start, end);
      if (checkJson) {
        for (let _position = 0, _length = _result.length; _position < _length; _position += 1) {
          const _character = _result.charCodeAt(_position);
          if (!(_character === 9 || _character >= 32 && _character <= 1114111)) {
            throwError(state, "expected valid JSON character");
          }
        }
      } else if (PATTERN_NON_PRINTABLE.test(_result)) {
        throwError(state, "the stream contains non-printable characters");
      }
      state.result += _result;
    }
  }
  function chargeMergeWork(state) {
    state.totalMergeKeys++;
    if (state.maxTotalMergeKeys !== -1 && state.totalMergeKeys > state.maxTotalMergeKeys) {
      throwError(state, "merge keys exceeded maxTotalMergeKeys (" + state.maxTotalMergeKeys + ")");
    }
  }
  function mergeMappings(state, destination, source, overridableKeys) {
    if (!common2.isObject(source)) {
      throwError(state, "cannot merge mappings; the provided source object is unacceptable");
    }
    chargeMergeWork(state);
    const sourceKeys = Object.keys(source);
    for (let index = 0, quantity = sourceKeys.length; index < quantity; index += 1) {
      const key = sourceKeys[index];
      chargeMergeWork(state);
      if (!_hasOwnProperty.call(destination, key)) {
        setProperty(destination, key, source[key]);
        overridableKeys[key] = true;
      }
    }
  }
  function storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, startLine, startLineStart, startPos) {
    if (Array.isArray(keyNode)) {
      keyNode = Array.prototype.slice.call(keyNode);
      for (let index = 0, quantity = keyNode.length; index < quantity; index += 1) {
        if (Array.isArray(keyNode[index])) {
          throwError(state, "nested arrays are not supported inside keys");
        }
        if (typeof keyNode === "object" && _class(keyNode[index]) === "[object Object]") {
          keyNode[index] = "[object Object]";
        }
      }
    }
    if (typeof keyNode === "object" && _class(keyNode) === "[object Object]") {
      keyNode = "[object Object]";
    }
    keyNode = String(keyNode);
    if (_result === null) {
      _result = {};
    }
    if (keyTag === "tag:yaml.org,2002:merge") {
      if (Array.isArray(valueNode)) {
        if (valueNode.length > 100) {
          throwError(state, "abnormal merge sequence size");
        }
        for (let index = 0, quantity = valueNode.length; index < quantity; index += 1) {
          mergeMappings(state, _result, valueNode[index], overridableKeys);
        }
      } else {
        mergeMappings(state, _result, valueNode, overridableKeys);
      }
    } else {
      if (!state.json && !_hasOwnProperty.call(overridableKeys, keyNode) && _hasOwnProperty.call(_result, keyNode)) {
        state.line = startLine || state.line;
        state.lineStart = startLineStart || state.lineStart;
        state.position = startPos || state.position;
        throwError(state, "duplicated mapping key");
      }
      setProperty(_result, keyNode, valueNode);
      delete overridableKeys[keyNode];
    }
    return _result;
  }
  function readLineBreak(state) {
    const ch = state.input.charCodeAt(state.position);
    if (ch === 10) {
      state.position++;
    } else if (ch === 13) {
      state.position++;
      if (state.input.charCodeAt(state.position) === 10) {
        state.position++;
      }
    } else {
      throwError(state, "a line break is expected");
    }
    state.line += 1;
    state.lineStart = state.position;
    state.firstTabInLine = -1;
  }
  function skipSeparationSpace(state, allowComments, checkIndent) {
    let lineBreaks = 0;
    let ch = state.input.charCodeAt(state.position);
    while (ch !== 0) {
      while (isWhiteSpace(ch)) {
        if (ch === 9 && state.firstTabInLine === -1) {
          state.firstTabInLine = state.position;
        }
        ch = state.input.charCodeAt(++state.position);
      }
      if (allowComments && ch === 35) {
        do {
          ch = state.input.charCodeAt(++state.position);
        } while (ch !== 10 && ch !== 13 && ch !== 0);
      }
      if (isEol(ch)) {
        readLineBreak(state);
        ch = state.input.charCodeAt(state.position);
        lineBreaks++;
        state.lineIndent = 0;
        while (ch === 32) {
          state.lineIndent++;
          ch = state.input.charCodeAt(++state.position);
        }
      } else {
        break;
      }
    }
    if (checkIndent !== -1 && lineBreaks !== 0 && state.lineIndent < checkIndent) {
      throwWarning(state, "deficient indentation");
    }
    return lineBreaks;
  }
  function testDocumentSeparator(state) {
    let _position = state.position;
    let ch = state.input.charCodeAt(_position);
    if ((ch === 45 || ch === 46) && ch === state.input.charCodeAt(_position + 1) && ch === state.input.charCodeAt(_position + 2)) {
      _position += 3;
      ch = state.input.charCodeAt(_position);
      if (ch === 0 || isWsOrEol(ch)) {
        return true;
      }
    }
    return false;
  }
  function writeFoldedLines(state, count) {
    if (count === 1) {
      state.result += " ";
    } else if (count > 1) {
      state.result += common2.repeat("\n", count - 1);
    }
  }
  function readPlainScalar(state, nodeIndent, withinFlowCollection) {
    let captureStart;
    let captureEnd;
    let hasPendingContent;
    let _line;
    let _lineStart;
    let _lineIndent;
    const _kind = state.kind;
    const _result = state.result;
    let ch = state.input.charCodeAt(state.position);
    if (isWsOrEol(ch) || isFlowIndicator(ch) || ch === 35 || ch === 38 || ch === 42 || ch === 33 || ch === 124 || ch === 62 || ch === 39 || ch === 34 || ch === 37 || ch === 64 || ch === 96) {
      return false;
    }
    if (ch === 63 || ch === 45) {
      const following = state.input.charCodeAt(state.position + 1);
      if (isWsOrEol(following) || withinFlowCollection && isFlowIndicator(following)) {
        return false;
      }
    }
    state.kind = "scalar";
    state.result = "";
    captureStart = captureEnd = state.position;
    hasPendingContent = false;
    while (ch !== 0) {
      if (ch === 58) {
        const following = state.input.charCodeAt(state.position + 1);
        if (isWsOrEol(following) || withinFlowCollection && isFlowIndicator(following)) {
          break;
        }
      } else if (ch === 35) {
        const preceding = state.input.charCodeAt(state.position - 1);
        if (isWsOrEol(preceding)) {
          break;
        }
      } else if (state.position === state.lineStart && testDocumentSeparator(state) || withinFlowCollection && isFlowIndicator(ch)) {
        break;
      } else if (isEol(ch)) {
        _line = state.line;
        _lineStart = state.lineStart;
        _lineIndent = state.lineIndent;
        skipSeparationSpace(state, false, -1);
        if (state.lineIndent >= nodeIndent) {
          hasPendingContent = true;
          ch = state.input.charCodeAt(state.position);
          continue;
        } else {
          state.position = captureEnd;
          state.line = _line;
          state.lineStart = _lineStart;
          state.lineIndent = _lineIndent;
          break;
        }
      }
      if (hasPendingContent) {
        captureSegment(state, captureStart, captureEnd, false);
        writeFoldedLines(state, state.line - _line);
        captureStart = captureEnd = state.position;
        hasPendingContent = false;
      }
      if (!isWhiteSpace(ch)) {
        captureEnd = state.position + 1;
      }
      ch = state.input.charCodeAt(++state.position);
    }
    captureSegment(state, captureStart, captureEnd, false);
    if (state.result) {
      return true;
    }
    state.kind = _kind;
    state.result = _result;
    return false;
  }
  function readSingleQuotedScalar(state, nodeIndent) {
    let captureStart;
    let captureEnd;
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 39) {
      return false;
    }
    state.kind = "scalar";
    state.result = "";
    state.position++;
    captureStart = captureEnd = state.position;
    while ((ch = state.input.charCodeAt(state.position)) !== 0) {
      if (ch === 39) {
        captureSegment(state, captureStart, state.position, true);
        ch = state.input.charCodeAt(++state.position);
        if (ch === 39) {
          captureStart = state.position;
          state.position++;
          captureEnd = state.position;
        } else {
          return true;
        }
      } else if (isEol(ch)) {
        captureSegment(state, captureStart, captureEnd, true);
        writeFoldedLines(state, skipSeparationSpace(state, false, nodeIndent));
        captureStart = captureEnd = state.position;
      } else if (state.position === state.lineStart && testDocumentSeparator(state)) {
        throwError(state, "unexpected end of the document within a single quoted scalar");
      } else {
        state.position++;
        if (!isWhiteSpace(ch)) {
          captureEnd = state.position;
        }
      }
    }
    throwError(state, "unexpected end of the stream within a single quoted scalar");
  }
  function readDoubleQuotedScalar(state, nodeIndent) {
    let captureStart;
    let captureEnd;
    let tmp;
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 34) {
      return false;
    }
    state.kind = "scalar";
    state.result = "";
    state.position++;
    captureStart = captureEnd = state.position;
    while ((ch = state.input.charCodeAt(state.position)) !== 0) {
      if (ch === 34) {
        captureSegment(state, captureStart, state.position, true);
        state.position++;
        return true;
      } else if (ch === 92) {
        captureSegment(state, captureStart, state.position, true);
        ch = state.input.charCodeAt(++state.position);
        if (isEol(ch)) {
          skipSeparationSpace(state, false, nodeIndent);
        } else if (ch < 256 && simpleEscapeCheck[ch]) {
          state.result += simpleEscapeMap[ch];
          state.position++;
        } else if ((tmp = escapedHexLen(ch)) > 0) {
          let hexLength = tmp;
          let hexResult = 0;
          for (; hexLength > 0; hexLength--) {
            ch = state.input.charCodeAt(++state.position);
            if ((tmp = fromHexCode(ch)) >= 0) {
              hexResult = (hexResult << 4) + tmp;
            } else {
              throwError(state, "expected hexadecimal character");
            }
          }
          state.result += charFromCodepoint(hexResult);
          state.position++;
        } else {
          throwError(state, "unknown escape sequence");
        }
        captureStart = captureEnd = state.position;
      } else if (isEol(ch)) {
        captureSegment(state, captureStart, captureEnd, true);
        writeFoldedLines(state, skipSeparationSpace(state, false, nodeIndent));
        captureStart = captureEnd = state.position;
      } else if (state.position === state.lineStart && testDocumentSeparator(state)) {
        throwError(state, "unexpected end of the document within a double quoted scalar");
      } else {
        state.position++;
        if (!isWhiteSpace(ch)) {
          captureEnd = state.position;
        }
      }
    }
    throwError(state, "unexpected end of the stream within a double quoted scalar");
  }
  function readFlowCollection(state, nodeIndent) {
    let readNext = true;
    let _line;
    let _lineStart;
    let _pos;
    const _tag = state.tag;
    let _result;
    const _anchor = state.anchor;
    let terminator;
    let isPair2;
    let isExplicitPair;
    let isMapping;
    const overridableKeys = /* @__PURE__ */ Object.create(null);
    let keyNode;
    let keyTag;
    let valueNode;
    let ch = state.input.charCodeAt(state.position);
    if (ch === 91) {
      terminator = 93;
      isMapping = false;
      _result = [];
    } else if (ch === 123) {
      terminator = 125;
      isMapping = true;
      _result = {};
    } else {
      return false;
    }
    if (state.anchor !== null) {
      storeAnchor(state, state.anchor, _result);
    }
    ch = state.input.charCodeAt(++state.position);
    while (ch !== 0) {
      skipSeparationSpace(state, true, nodeIndent);
      ch = state.input.charCodeAt(state.position);
      if (ch === terminator) {
        state.position++;
        state.tag = _tag;
        state.anchor = _anchor;
        state.kind = isMapping ? "mapping" : "sequence";
        state.result = _result;
        return true;
      } else if (!readNext) {
        throwError(state, "missed comma between flow collection entries");
      } else if (ch === 44) {
        throwError(state, "expected the node content, but found ','");
      }
      keyTag = keyNode = valueNode = null;
      isPair2 = isExplicitPair = false;
      if (ch === 63) {
        const following = state.input.charCodeAt(state.position + 1);
        if (isWsOrEol(following)) {
          isPair2 = isExplicitPair = true;
          state.position++;
          skipSeparationSpace(state, true, nodeIndent);
        }
      }
      _line = state.line;
      _lineStart = state.lineStart;
      _pos = state.position;
      composeNode(state, nodeIndent, CONTEXT_FLOW_IN, false, true);
      keyTag = state.tag;
      keyNode = state.result;
      skipSeparationSpace(state, true, nodeIndent);
      ch = state.input.charCodeAt(state.position);
      if ((isExplicitPair || state.line === _line) && ch === 58) {
        isPair2 = true;
        ch = state.input.charCodeAt(++state.position);
        skipSeparationSpace(state, true, nodeIndent);
        composeNode(state, nodeIndent, CONTEXT_FLOW_IN, false, true);
        valueNode = state.result;
      }
      if (isMapping) {
        storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, _line, _lineStart, _pos);
      } else if (isPair2) {
        _result.push(storeMappingPair(state, null, overridableKeys, keyTag, keyNode, valueNode, _line, _lineStart, _pos));
      } else {
        _result.push(keyNode);
      }
      skipSeparationSpace(state, true, nodeIndent);
      ch = state.input.charCodeAt(state.position);
      if (ch === 44) {
        readNext = true;
        ch = state.input.charCodeAt(++state.position);
      } else {
        readNext = false;
      }
    }
    throwError(state, "unexpected end of the stream within a flow collection");
  }
  function readBlockScalar(state, nodeIndent) {
    let folding;
    let chomping = CHOMPING_CLIP;
    let didReadContent = false;
    let detectedIndent = false;
    let textIndent = nodeIndent;
    let emptyLines = 0;
    let atMoreIndented = false;
    let tmp;
    let ch = state.input.charCodeAt(state.position);
    if (ch === 124) {
      folding = false;
    } else if (ch === 62) {
      folding = true;
    } else {
      return false;
    }
    state.kind = "scalar";
    state.result = "";
    while (ch !== 0) {
      ch = state.input.charCodeAt(++state.position);
      if (ch === 43 || ch === 45) {
        if (CHOMPING_CLIP === chomping) {
          chomping = ch === 43 ? CHOMPING_KEEP : CHOMPING_STRIP;
        } else {
          throwError(state, "repeat of a chomping mode identifier");
        }
      } else if ((tmp = fromDecimalCode(ch)) >= 0) {
        if (tmp === 0) {
          throwError(state, "bad explicit indentation width of a block scalar; it cannot be less than one");
        } else if (!detectedIndent) {
          textIndent = nodeIndent + tmp - 1;
          detectedIndent = true;
        } else {
          throwError(state, "repeat of an indentation width identifier");
        }
      } else {
        break;
      }
    }
    if (isWhiteSpace(ch)) {
      do {
        ch = state.input.charCodeAt(++state.position);
      } while (isWhiteSpace(ch));
      if (ch === 35) {
        do {
          ch = state.input.charCodeAt(++state.position);
        } while (!isEol(ch) && ch !== 0);
      }
    }
    while (ch !== 0) {
      readLineBreak(state);
      state.lineIndent = 0;
      ch = state.input.charCodeAt(state.position);
      while ((!detectedIndent || state.lineIndent < textIndent) && ch === 32) {
        state.lineIndent++;
        ch = state.input.charCodeAt(++state.position);
      }
      if (!detectedIndent && state.lineIndent > textIndent) {
        textIndent = state.lineIndent;
      }
      if (isEol(ch)) {
        emptyLines++;
        continue;
      }
      if (!detectedIndent && textIndent === 0) {
        throwError(state, "missing indentation for block scalar");
      }
      if (state.lineIndent < textIndent) {
        if (chomping === CHOMPING_KEEP) {
          state.result += common2.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
        } else if (chomping === CHOMPING_CLIP) {
          if (didReadContent) {
            state.result += "\n";
          }
        }
        break;
      }
      if (folding) {
        if (isWhiteSpace(ch)) {
          atMoreIndented = true;
          state.result += common2.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
        } else if (atMoreIndented) {
          atMoreIndented = false;
          state.result += common2.repeat("\n", emptyLines + 1);
        } else if (emptyLines === 0) {
          if (didReadContent) {
            state.result += " ";
          }
        } else {
          state.result += common2.repeat("\n", emptyLines);
        }
      } else {
        state.result += common2.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
      }
      didReadContent = true;
      detectedIndent = true;
      emptyLines = 0;
      const captureStart = state.position;
      while (!isEol(ch) && ch !== 0) {
        ch = state.input.charCodeAt(++state.position);
      }
      captureSegment(state, captureStart, state.position, false);
    }
    return true;
  }
  function readBlockSequence(state, nodeIndent) {
    const _tag = state.tag;
    const _anchor = state.anchor;
    const _result = [];
    let detected = false;
    if (state.firstTabInLine !== -1) return false;
    if (state.anchor !== null) {
      storeAnchor(state, state.anchor, _result);
    }
    let ch = state.input.charCodeAt(state.position);
    while (ch !== 0) {
      if (state.firstTabInLine !== -1) {
        state.position = state.firstTabInLine;
        throwError(state, "tab characters must not be used in indentation");
      }
      if (ch !== 45) {
        break;
      }
      const following = state.input.charCodeAt(state.position + 1);
      if (!isWsOrEol(following)) {
        break;
      }
      detected = true;
      state.position++;
      if (skipSeparationSpace(state, true, -1)) {
        if (state.lineIndent <= nodeIndent) {
          _result.push(null);
          ch = state.input.charCodeAt(state.position);
          continue;
        }
      }
      const _line = state.line;
      composeNode(state, nodeIndent, CONTEXT_BLOCK_IN, false, true);
      _result.push(state.result);
      skipSeparationSpace(state, true, -1);
      ch = state.input.charCodeAt(state.position);
      if ((state.line === _line || state.lineIndent > nodeIndent) && ch !== 0) {
        throwError(state, "bad indentation of a sequence entry");
      } else if (state.lineIndent < nodeIndent) {
        break;
      }
    }
    if (detected) {
      state.tag = _tag;
      state.anchor = _anchor;
      state.kind = "sequence";
      state.result = _result;
      return true;
    }
    return false;
  }
  function readBlockMapping(state, nodeIndent, flowIndent) {
    let allowCompact;
    let _keyLine;
    let _keyLineStart;
    let _keyPos;
    const _tag = state.tag;
    const _anchor = state.anchor;
    const _result = {};
    const overridableKeys = /* @__PURE__ */ Object.create(null);
    let keyTag = null;
    let keyNode = null;
    let valueNode = null;
    let atExplicitKey = false;
    let detected = false;
    if (state.firstTabInLine !== -1) return false;
    if (state.anchor !== null) {
      storeAnchor(state, state.anchor, _result);
    }
    let ch = state.input.charCodeAt(state.position);
    while (ch !== 0) {
      if (!atExplicitKey && state.firstTabInLine !== -1) {
        state.position = state.firstTabInLine;
        throwError(state, "tab characters must not be used in indentation");
      }
      const following = state.input.charCodeAt(state.position + 1);
      const _line = state.line;
      if ((ch === 63 || ch === 58) && isWsOrEol(following)) {
        if (ch === 63) {
          if (atExplicitKey) {
            storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
            keyTag = keyNode = valueNode = null;
          }
          detected = true;
          atExplicitKey = true;
          allowCompact = true;
        } else if (atExplicitKey) {
          atExplicitKey = false;
          allowCompact = true;
        } else {
          throwError(state, "incomplete explicit mapping pair; a key node is missed; or followed by a non-tabulated empty line");
        }
        state.position += 1;
        ch = following;
      } else {
        _keyLine = state.line;
        _keyLineStart = state.lineStart;
        _keyPos = state.position;
        if (!composeNode(state, flowIndent, CONTEXT_FLOW_OUT, false, true)) {
          break;
        }
        if (state.line === _line) {
          ch = state.input.charCodeAt(state.position);
          while (isWhiteSpace(ch)) {
            ch = state.input.charCodeAt(++state.position);
          }
          if (ch === 58) {
            ch = state.input.charCodeAt(++state.position);
            if (!isWsOrEol(ch)) {
              throwError(state, "a whitespace character is expected after the key-value separator within a block mapping");
            }
            if (atExplicitKey) {
              storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
              keyTag = keyNode = valueNode = null;
            }
            detected = true;
            atExplicitKey = false;
            allowCompact = false;
            keyTag = state.tag;
            keyNode = state.result;
          } else if (detected) {
            throwError(state, "can not read an implicit mapping pair; a colon is missed");
          } else {
            state.tag = _tag;
            state.anchor = _anchor;
            return true;
          }
        } else if (detected) {
          throwError(state, "can not read a block mapping entry; a multiline key may not be an implicit key");
        } else {
          state.tag = _tag;
          state.anchor = _anchor;
          return true;
        }
      }
      if (state.line === _line || state.lineIndent > nodeIndent) {
        if (atExplicitKey) {
          _keyLine = state.line;
          _keyLineStart = state.lineStart;
          _keyPos = state.position;
        }
        if (composeNode(state, nodeIndent, CONTEXT_BLOCK_OUT, true, allowCompact)) {
          if (atExplicitKey) {
            keyNode = state.result;
          } else {
            valueNode = state.result;
          }
        }
        if (!atExplicitKey) {
          storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, _keyLine, _keyLineStart, _keyPos);
          keyTag = keyNode = valueNode = null;
        }
        skipSeparationSpace(state, true, -1);
        ch = state.input.charCodeAt(state.position);
      }
      if ((state.line === _line || state.lineIndent > nodeIndent) && ch !== 0) {
        throwError(state, "bad indentation of a mapping entry");
      } else if (state.lineIndent < nodeIndent) {
        break;
      }
    }
    if (atExplicitKey) {
      storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
    }
    if (detected) {
      state.tag = _tag;
      state.anchor = _anchor;
      state.kind = "mapping";
      state.result = _result;
    }
    return detected;
  }
  function readTagProperty(state) {
    let isVerbatim = false;
    let isNamed = false;
    let tagHandle;
    let tagName;
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 33) return false;
    if (state.tag !== null) {
      throwError(state, "duplication of a tag property");
    }
    ch = state.input.charCodeAt(++state.position);
    if (ch === 60) {
      isVerbatim = true;
      ch = state.input.charCodeAt(++state.position);
    } else if (ch === 33) {
      isNamed = true;
      tagHandle = "!!";
      ch = state.input.charCodeAt(++state.position);
    } else {
      tagHandle = "!";
    }
    let _position = state.position;
    if (isVerbatim) {
      do {
        ch = state.input.charCodeAt(++state.position);
      } while (ch !== 0 && ch !== 62);
      if (state.position < state.length) {
        tagName = state.input.slice(_position, state.position);
        ch = state.input.charCodeAt(++state.position);
      } else {
        throwError(state, "unexpected end of the stream within a verbatim tag");
      }
    } else {
      while (ch !== 0 && !isWsOrEol(ch)) {
        if (ch === 33) {
          if (!isNamed) {
            tagHandle = state.input.slice(_position - 1, state.position + 1);
            if (!PATTERN_TAG_HANDLE.test(tagHandle)) {
              throwError(state, "named tag handle cannot contain such characters");
            }
            isNamed = true;
            _position = state.position + 1;
          } else {
            throwError(state, "tag suffix cannot contain exclamation marks");
          }
        }
        ch = state.input.charCodeAt(++state.position);
      }
      tagName = state.input.slice(_position, state.position);
      if (PATTERN_FLOW_INDICATORS.test(tagName)) {
        throwError(state, "tag suffix cannot contain flow indicator characters");
      }
    }
    if (tagName && !PATTERN_TAG_URI.test(tagName)) {
      throwError(state, "tag name cannot contain such characters: " + tagName);
    }
    try {
      tagName = decodeURIComponent(tagName);
    } catch (err) {
      throwError(state, "tag name is malformed: " + tagName);
    }
    if (isVerbatim) {
      state.tag = tagName;
    } else if (_hasOwnProperty.call(state.tagMap, tagHandle)) {
      state.tag = state.tagMap[tagHandle] + tagName;
    } else if (tagHandle === "!") {
      state.tag = "!" + tagName;
    } else if (tagHandle === "!!") {
      state.tag = "tag:yaml.org,2002:" + tagName;
    } else {
      throwError(state, 'undeclared tag handle "' + tagHandle + '"');
    }
    return true;
  }
  function readAnchorProperty(state) {
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 38) return false;
    if (state.anchor !== null) {
      throwError(state, "duplication of an anchor property");
    }
    ch = state.input.charCodeAt(++state.position);
    const _position = state.position;
    while (ch !== 0 && !isWsOrEol(ch) && !isFlowIndicator(ch)) {
      ch = state.input.charCodeAt(++state.position);
    }
    if (state.position === _position) {
      throwError(state, "name of an anchor node must contain at least one character");
    }
    state.anchor = state.input.slice(_position, state.position);
    return true;
  }
  function readAlias(state) {
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 42) return false;
    ch = state.input.charCodeAt(++state.position);
    const _position = state.position;
    while (ch !== 0 && !isWsOrEol(ch) && !isFlowIndicator(ch)) {
      ch = state.input.charCodeAt(++state.position);
    }
    if (state.position === _position) {
      throwError(state, "name of an alias node must contain at least one character");
    }
    const alias = state.input.slice(_position, state.position);
    if (!_hasOwnProperty.call(state.anchorMap, alias)) {
      throwError(state, 'unidentified alias "' + alias + '"');
    }
    state.result = state.anchorMap[alias];
    skipSeparationSpace(state, true, -1);
    return true;
  }
  function tryReadBlockMappingFromProperty(state, propertyStart, nodeIndent, flowIndent) {
    const fallbackState = snapshotState(state);
    beginAnchorTransaction(state);
    restoreState(state, propertyStart);
    state.tag = null;
    state.anchor = null;
    state.kind = null;
    state.result = null;
    if (readBlockMapping(state, nodeIndent, flowIndent) && state.kind === "mapping") {
      commitAnchorTransaction(state);
      return true;
    }
    rollbackAnchorTransaction(state);
    restoreState(state, fallbackState);
    return false;
  }
  function composeNode(state, parentIndent, nodeContext, allowToSeek, allowCompact) {
    let allowBlockScalars;
    let allowBlockCollections;
    let indentStatus = 1;
    let atNewLine = false;
    let hasContent = false;
    let propertyStart = null;
    let type2;
    let flowIndent;
    let blockIndent;
    if (state.depth >= state.maxDepth) {
      throwError(state, "nesting exceeded maxDepth (" + state.maxDepth + ")");
    }
    state.depth += 1;
    if (state.listener !== null) {
      state.listener("open", state);
    }
    state.tag = null;
    state.anchor = null;
    state.kind = null;
    state.result = null;
    const allowBlockStyles = allowBlockScalars = allowBlockCollections = CONTEXT_BLOCK_OUT === nodeContext || CONTEXT_BLOCK_IN === nodeContext;
    if (allowToSeek) {
      if (skipSeparationSpace(state, true, -1)) {
        atNewLine = true;
        if (state.lineIndent > parentIndent) {
          indentStatus = 1;
        } else if (state.lineIndent === parentIndent) {
          indentStatus = 0;
        } else if (state.lineIndent < parentIndent) {
          indentStatus = -1;
        }
      }
    }
    if (indentStatus === 1) {
      while (true) {
        const ch = state.input.charCodeAt(state.position);
        const propertyState = snapshotState(state);
        if (atNewLine && (ch === 33 && state.tag !== null || ch === 38 && state.anchor !== null)) {
          break;
        }
        if (!readTagProperty(state) && !readAnchorProperty(state)) {
          break;
        }
        if (propertyStart === null) {
          propertyStart = propertyState;
        }
        if (skipSeparationSpace(state, true, -1)) {
          atNewLine = true;
          allowBlockCollections = allowBlockStyles;
          if (state.lineIndent > parentIndent) {
            indentStatus = 1;
          } else if (state.lineIndent === parentIndent) {
            indentStatus = 0;
          } else if (state.lineIndent < parentIndent) {
            indentStatus = -1;
          }
        } else {
          allowBlockCollections = false;
        }
      }
    }
    if (allowBlockCollections) {
      allowBlockCollections = atNewLine || allowCompact;
    }
    if (indentStatus === 1 || CONTEXT_BLOCK_OUT === nodeContext) {
      if (CONTEXT_FLOW_IN === nodeContext || CONTEXT_FLOW_OUT === nodeContext) {
        flowIndent = parentIndent;
      } else {
        flowIndent = parentIndent + 1;
      }
      blockIndent = state.position - state.lineStart;
      if (indentStatus === 1) {
        if (allowBlockCollections && (readBlockSequence(state, blockIndent) || readBlockMapping(state, blockIndent, flowIndent)) || readFlowCollection(state, flowIndent)) {
          hasContent = true;
        } else {
          const ch = state.input.charCodeAt(state.position);
          if (propertyStart !== null && allowBlockStyles && !allowBlockCollections && ch !== 124 && ch !== 62 && tryReadBlockMappingFromProperty(
            state,
            propertyStart,
            propertyStart.position - propertyStart.lineStart,
            flowIndent
          )) {
            hasContent = true;
          } else if (allowBlockScalars && readBlockScalar(state, flowIndent) || readSingleQuotedScalar(state, flowIndent) || readDoubleQuotedScalar(state, flowIndent)) {
            hasContent = true;
          } else if (readAlias(state)) {
            hasContent = true;
            if (state.tag !== null || state.anchor !== null) {
              throwError(state, "alias node should not have any properties");
            }
          } else if (readPlainScalar(state, flowIndent, CONTEXT_FLOW_IN === nodeContext)) {
            hasContent = true;
            if (state.tag === null) {
              state.tag = "?";
            }
          }
          if (state.anchor !== null) {
            storeAnchor(state, state.anchor, state.result);
          }
        }
      } else if (indentStatus === 0) {
        hasContent = allowBlockCollections && readBlockSequence(state, blockIndent);
      }
    }
    if (state.tag === null) {
      if (state.anchor !== null) {
        storeAnchor(state, state.anchor, state.result);
      }
    } else if (state.tag === "?") {
      if (state.result !== null && state.kind !== "scalar") {
        throwError(state, 'unacceptable node kind for !<?> tag; it should be "scalar", not "' + state.kind + '"');
      }
      for (let typeIndex = 0, typeQuantity = state.implicitTypes.length; typeIndex < typeQuantity; typeIndex += 1) {
        type2 = state.implicitTypes[typeIndex];
        if (type2.resolve(state.result)) {
          state.result = type2.construct(state.result);
          state.tag = type2.tag;
          if (state.anchor !== null) {
            storeAnchor(state, state.anchor, state.result);
          }
          break;
        }
      }
    } else if (state.tag !== "!") {
      if (_hasOwnProperty.call(state.typeMap[state.kind || "fallback"], state.tag)) {
        type2 = state.typeMap[state.kind || "fallback"][state.tag];
      } else {
        type2 = null;
        const typeList = state.typeMap.multi[state.kind || "fallback"];
        for (let typeIndex = 0, typeQuantity = typeList.length; typeIndex < typeQuantity; typeIndex += 1) {
          if (state.tag.slice(0, typeList[typeIndex].tag.length) === typeList[typeIndex].tag) {
            type2 = typeList[typeIndex];
            break;
          }
        }
      }
      if (!type2) {
        throwError(state, "unknown tag !<" + state.tag + ">");
      }
      if (state.result !== null && type2.kind !== state.kind) {
        throwError(state, "unacceptable node kind for !<" + state.tag + '> tag; it should be "' + type2.kind + '", not "' + state.kind + '"');
      }
      if (!type2.resolve(state.result, state.tag)) {
        throwError(state, "cannot resolve a node with !<" + state.tag + "> explicit tag");
      } else {
        state.result = type2.construct(state.result, state.tag);
        if (state.anchor !== null) {
          storeAnchor(state, state.anchor, state.result);
        }
      }
    }
    if (state.listener !== null) {
      state.listener("close", state);
    }
    state.depth -= 1;
    return state.tag !== null || state.anchor !== null || hasContent;
  }
  function readDocument(state) {
    const documentStart = state.position;
    let hasDirectives = false;
    let ch;
    state.version = null;
    state.checkLineBreaks = state.legacy;
    state.tagMap = /* @__PURE__ */ Object.create(null);
    state.anchorMap = /* @__PURE__ */ Object.create(null);
    while ((ch = state.input.charCodeAt(state.position)) !== 0) {
      skipSeparationSpace(state, true, -1);
      ch = state.input.charCodeAt(state.position);
      if (state.lineIndent > 0 || ch !== 37) {
        break;
      }
      hasDirectives = true;
      ch = state.input.charCodeAt(++state.position);
      let _position = state.position;
      while (ch !== 0 && !isWsOrEol(ch)) {
        ch = state.input.charCodeAt(++state.position);
      }
      const directiveName = state.input.slice(_position, state.position);
      const directiveArgs = [];
      if (directiveName.length < 1) {
        throwError(state, "directive name must not be less than one character in length");
      }
      while (ch !== 0) {
        while (isWhiteSpace(ch)) {
          ch = state.input.charCodeAt(++state.position);
        }
        if (ch === 35) {
          do {
            ch = state.input.charCodeAt(++state.position);
          } while (ch !== 0 && !isEol(ch));
          break;
        }
        if (isEol(ch)) break;
        _position = state.position;
        while (ch !== 0 && !isWsOrEol(ch)) {
          ch = state.input.charCodeAt(++state.position);
        }
        directiveArgs.push(state.input.slice(_position, state.position));
      }
      if (ch !== 0) readLineBreak(state);
      if (_hasOwnProperty.call(directiveHandlers, directiveName)) {
        directiveHandlers[directiveName](state, directiveName, directiveArgs);
      } else {
        throwWarning(state, 'unknown document directive "' + directiveName + '"');
      }
    }
    skipSeparationSpace(state, true, -1);
    if (state.lineIndent === 0 && state.input.charCodeAt(state.position) === 45 && state.input.charCodeAt(state.position + 1) === 45 && state.input.charCodeAt(state.position + 2) === 45) {
      state.position += 3;
      skipSeparationSpace(state, true, -1);
    } else if (hasDirectives) {
      throwError(state, "directives end mark is expected");
    }
    composeNode(state, state.lineIndent - 1, CONTEXT_BLOCK_OUT, false, true);
    skipSeparationSpace(state, true, -1);
    if (state.checkLineBreaks && PATTERN_NON_ASCII_LINE_BREAKS.test(state.input.slice(documentStart, state.position))) {
      throwWarning(state, "non-ASCII line breaks are interpreted as content");
    }
    state.documents.push(state.result);
    if (state.position === state.lineStart && testDocumentSeparator(state)) {
      if (state.input.charCodeAt(state.position) === 46) {
        state.position += 3;
        skipSeparationSpace(state, true, -1);
      }
      return;
    }
    if (state.position < state.length - 1) {
      throwError(state, "end of the stream or a document separator is expected");
    }
  }
  function loadDocuments(input, options) {
    input = String(input);
    options = options || {};
    if (input.length !== 0) {
      if (input.charCodeAt(input.length - 1) !== 10 && input.charCodeAt(input.length - 1) !== 13) {
        input += "\n";
      }
      if (input.charCodeAt(0) === 65279) {
        input = input.slice(1);
      }
    }
    const state = new State(input, options);
    const nullpos = input.indexOf("\0");
    if (nullpos !== -1) {
      state.position = nullpos;
      throwError(state, "null byte is not allowed in input");
    }
    state.input += "\0";
    while (state.input.charCodeAt(state.position) === 32) {
      state.lineIndent += 1;
      state.position += 1;
    }
    while (state.position < state.length - 1) {
      readDocument(state);
    }
    return state.documents;
  }
  function loadAll2(input, iterator, options) {
    if (iterator !== null && typeof iterator === "object" && typeof options === "undefined") {
      options = iterator;
      iterator = null;
    }
    const documents = loadDocuments(input, options);
    if (typeof iterator !== "function") {
      return documents;
    }
    for (let index = 0, length = documents.length; index < length; index += 1) {
      iterator(documents[index]);
    }
  }
  function load2(input, options) {
    const documents = loadDocuments(input, options);
    if (documents.length === 0) {
      return void 0;
    } else if (documents.length === 1) {
      return documents[0];
    }
    throw new YAMLException2("expected a single document in the stream, but found more");
  }
  loader.loadAll = loadAll2;
  loader.load = load2;
  return loader;
}
var dumper = {};
var hasRequiredDumper;
function requireDumper() {
  if (hasRequiredDumper) return dumper;
  hasRequiredDumper = 1;
  const common2 = requireCommon();
  const YAMLException2 = requireException();
  const DEFAULT_SCHEMA2 = require_default();
  const _toString = Object.prototype.toString;
  const _hasOwnProperty = Object.prototype.hasOwnProperty;
  const CHAR_BOM = 65279;
  const CHAR_TAB = 9;
  const CHAR_LINE_FEED = 10;
  const CHAR_CARRIAGE_RETURN = 13;
  const CHAR_SPACE = 32;
  const CHAR_EXCLAMATION = 33;
  const CHAR_DOUBLE_QUOTE = 34;
  const CHAR_SHARP = 35;
  const CHAR_PERCENT = 37;
  const CHAR_AMPERSAND = 38;
  const CHAR_SINGLE_QUOTE = 39;
  const CHAR_ASTERISK = 42;
  const CHAR_COMMA = 44;
  const CHAR_MINUS = 45;
  const CHAR_COLON = 58;
  const CHAR_EQUALS = 61;
  const CHAR_GREATER_THAN = 62;
  const CHAR_QUESTION = 63;
  const CHAR_COMMERCIAL_AT = 64;
  const CHAR_LEFT_SQUARE_BRACKET = 91;
  const CHAR_RIGHT_SQUARE_BRACKET = 93;
  const CHAR_GRAVE_ACCENT = 96;
  const CHAR_LEFT_CURLY_BRACKET = 123;
  const CHAR_VERTICAL_LINE = 124;
  const CHAR_RIGHT_CURLY_BRACKET = 125;
  const ESCAPE_SEQUENCES = {};
  ESCAPE_SEQUENCES[0] = "\\0";
  ESCAPE_SEQUENCES[7] = "\\a";
  ESCAPE_SEQUENCES[8] = "\\b";
  ESCAPE_SEQUENCES[9] = "\\t";
  ESCAPE_SEQUENCES[10] = "\\n";
  ESCAPE_SEQUENCES[11] = "\\v";
  ESCAPE_SEQUENCES[12] = "\\f";
  ESCAPE_SEQUENCES[13] = "\\r";
  ESCAPE_SEQUENCES[27] = "\\e";
  ESCAPE_SEQUENCES[34] = '\\"';
  ESCAPE_SEQUENCES[92] = "\\\\";
  ESCAPE_SEQUENCES[133] = "\\N";
  ESCAPE_SEQUENCES[160] = "\\_";
  ESCAPE_SEQUENCES[8232] = "\\L";
  ESCAPE_SEQUENCES[8233] = "\\P";
  const DEPRECATED_BOOLEANS_SYNTAX = [
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "on",
    "On",
    "ON",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "off",
    "Off",
    "OFF"
  ];
  const DEPRECATED_BASE60_SYNTAX = /^[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?$/;
  function compileStyleMap(schema2, map2) {
    if (map2 === null) return {};
    const result2 = {};
    const keys = Object.keys(map2);
    for (let index = 0, length = keys.length; index < length; index += 1) {
      let tag = keys[index];
      let style = String(map2[tag]);
      if (tag.slice(0, 2) === "!!") {
        tag = "tag:yaml.org,2002:" + tag.slice(2);
      }
      const type2 = schema2.compiledTypeMap["fallback"][tag];
      if (type2 && _hasOwnProperty.call(type2.styleAliases, style)) {
        style = type2.styleAliases[style];
      }
      result2[tag] = style;
    }
    return result2;
  }
  function encodeHex(character) {
    let handle;
    let length;
    const string = character.toString(16).toUpperCase();
    if (character <= 255) {
      handle = "x";
      length = 2;
    } else if (character <= 65535) {
      handle = "u";
      length = 4;
    } else if (character <= 4294967295) {
      handle = "U";
      length = 8;
    } else {
      throw new YAMLException2("code point within a string may not be greater than 0xFFFFFFFF");
    }
    return "\\" + handle + common2.repeat("0", length - string.length) + string;
  }
  const QUOTING_TYPE_SINGLE = 1;
  const QUOTING_TYPE_DOUBLE = 2;
  function State(options) {
    this.schema = options["schema"] || DEFAULT_SCHEMA2;
    this.indent = Math.max(1, options["indent"] || 2);
    this.noArrayIndent = options["noArrayIndent"] || false;
    this.skipInvalid = options["skipInvalid"] || false;
    this.flowLevel = common2.isNothing(options["flowLevel"]) ? -1 : options["flowLevel"];
    this.styleMap = compileStyleMap(this.schema, options["styles"] || null);
    this.sortKeys = options["sortKeys"] || false;
    this.lineWidth = options["lineWidth"] || 80;
    this.noRefs = options["noRefs"] || false;
    this.noCompatMode = options["noCompatMode"] || false;
    this.condenseFlow = options["condenseFlow"] || false;
    this.quotingType = options["quotingType"] === '"' ? QUOTING_TYPE_DOUBLE : QUOTING_TYPE_SINGLE;
    this.forceQuotes = options["forceQuotes"] || false;
    this.replacer = typeof options["replacer"] === "function" ? options["replacer"] : null;
    this.implicitTypes = this.schema.compiledImplicit;
    this.explicitTypes = this.schema.compiledExplicit;
    this.tag = null;
    this.result = "";
    this.duplicates = [];
    this.usedDuplicates = null;
  }
  function indentString(string, spaces) {
    const ind = common2.repeat(" ", spaces);
    let position = 0;
    let result2 = "";
    const length = string.length;
    while (position < length) {
      let line3;
      const next = string.indexOf("\n", position);
      if (next === -1) {
        line3 = string.slice(position);
        position = length;
      } else {
        line3 = string.slice(position, next + 1);
        position = next + 1;
      }
      if (line3.length && line3 !== "\n") result2 += ind;
      result2 += line3;
    }
    return result2;
  }
  function generateNextLine(state, level) {
    return "\n" + common2.repeat(" ", state.indent * level);
  }
  function testImplicitResolving(state, str2) {
    for (let index = 0, length = state.implicitTypes.length; index < length; index += 1) {
      const type2 = state.implicitTypes[index];
      if (type2.resolve(str2)) {
        return true;
      }
    }
    return false;
  }
  function isWhitespace(c) {
    return c === CHAR_SPACE || c === CHAR_TAB;
  }
  function isPrintable(c) {
    return c >= 32 && c <= 126 || c >= 161 && c <= 55295 && c !== 8232 && c !== 8233 || c >= 57344 && c <= 65533 && c !== CHAR_BOM || c >= 65536 && c <= 1114111;
  }
  function isNsCharOrWhitespace(c) {
    return isPrintable(c) && c !== CHAR_BOM && // - b-char
    c !== CHAR_CARRIAGE_RETURN && c !== CHAR_LINE_FEED;
  }
  function isPlainSafe(c, prev, inblock) {
    const cIsNsCharOrWhitespace = isNsCharOrWhitespace(c);
    const cIsNsChar = cIsNsCharOrWhitespace && !isWhitespace(c);
    return (
      // ns-plain-safe
      (inblock ? cIsNsCharOrWhitespace : cIsNsCharOrWhitespace && // - c-flow-indicator
      c !== CHAR_COMMA && c !== CHAR_LEFT_SQUARE_BRACKET && c !== CHAR_RIGHT_SQUARE_BRACKET && c !== CHAR_LEFT_CURLY_BRACKET && c !== CHAR_RIGHT_CURLY_BRACKET) && // ns-plain-char
      c !== CHAR_SHARP && // false on '#'
      !(prev === CHAR_COLON && !cIsNsChar) || // false on ': '
      isNsCharOrWhitespace(prev) && !isWhitespace(prev) && c === CHAR_SHARP || // change to true on '[^ ]#'
      prev === CHAR_COLON && cIsNsChar
    );
  }
  function isPlainSafeFirst(c) {
    return isPrintable(c) && c !== CHAR_BOM && !isWhitespace(c) && // - s-white
    // - (c-indicator ::=
    // “-” | “?” | “:” | “,” | “[” | “]” | “{” | “}”
    c !== CHAR_MINUS && c !== CHAR_QUESTION && c !== CHAR_COLON && c !== CHAR_COMMA && c !== CHAR_LEFT_SQUARE_BRACKET && c !== CHAR_RIGHT_SQUARE_BRACKET && c !== CHAR_LEFT_CURLY_BRACKET && c !== CHAR_RIGHT_CURLY_BRACKET && // | “#” | “&” | “*” | “!” | “|” | “=” | “>” | “'” | “"”
    c !== CHAR_SHARP && c !== CHAR_AMPERSAND && c !== CHAR_ASTERISK && c !== CHAR_EXCLAMATION && c !== CHAR_VERTICAL_LINE && c !== CHAR_EQUALS && c !== CHAR_GREATER_THAN && c !== CHAR_SINGLE_QUOTE && c !== CHAR_DOUBLE_QUOTE && // | “%” | “@” | “`”)
    c !== CHAR_PERCENT && c !== CHAR_COMMERCIAL_AT && c !== CHAR_GRAVE_ACCENT;
  }
  function isPlainSafeLast(c) {
    return !isWhitespace(c) && c !== CHAR_COLON;
  }
  function codePointAt(string, pos) {
    const first = string.charCodeAt(pos);
    let second;
    if (first >= 55296 && first <= 56319 && pos + 1 < string.length) {
      second = string.charCodeAt(pos + 1);
      if (second >= 56320 && second <= 57343) {
        return (first - 55296) * 1024 + second - 56320 + 65536;
      }
    }
    return first;
  }
  function needIndentIndicator(string) {
    const leadingSpaceRe = /^\n* /;
    return leadingSpaceRe.test(string);
  }
  const STYLE_PLAIN = 1;
  const STYLE_SINGLE = 2;
  const STYLE_LITERAL = 3;
  const STYLE_FOLDED = 4;
  const STYLE_DOUBLE = 5;
  function chooseScalarStyle(string, singleLineOnly, indentPerLevel, lineWidth, testAmbiguousType, quotingType, forceQuotes, inblock) {
    let i;
    let char = 0;
    let prevChar = null;
    let hasLineBreak = false;
    let hasFoldableLine = false;
    const shouldTrackWidth = lineWidth !== -1;
    let previousLineBreak = -1;
    let plain = isPlainSafeFirst(codePointAt(string, 0)) && isPlainSafeLast(codePointAt(string, string.length - 1));
    if (singleLineOnly || forceQuotes) {
      for (i = 0; i < string.length; char >= 65536 ? i += 2 : i++) {
        char = codePointAt(string, i);
        if (!isPrintable(char)) {
          return STYLE_DOUBLE;
        }
        plain = plain && isPlainSafe(char, prevChar, inblock);
        prevChar = char;
      }
    } else {
      for (i = 0; i < string.length; char >= 65536 ? i += 2 : i++) {
        char = codePointAt(string, i);
        if (char === CHAR_LINE_FEED) {
          hasLineBreak = true;
          if (shouldTrackWidth) {
            hasFoldableLine = hasFoldableLine || // Foldable line = too long, and not more-indented.
            i - previousLineBreak - 1 > lineWidth && string[previousLineBreak + 1] !== " ";
            previousLineBreak = i;
          }
        } else if (!isPrintable(char)) {
          return STYLE_DOUBLE;
        }
        plain = plain && isPlainSafe(char, prevChar, inblock);
        prevChar = char;
      }
      hasFoldableLine = hasFoldableLine || shouldTrackWidth && (i - previousLineBreak - 1 > lineWidth && string[previousLineBreak + 1] !== " ");
    }
    if (!hasLineBreak && !hasFoldableLine) {
      if (plain && !forceQuotes && !testAmbiguousType(string)) {
        return STYLE_PLAIN;
      }
      return quotingType === QUOTING_TYPE_DOUBLE ? STYLE_DOUBLE : STYLE_SINGLE;
    }
    if (indentPerLevel > 9 && needIndentIndicator(string)) {
      return STYLE_DOUBLE;
    }
    if (!forceQuotes) {
      return hasFoldableLine ? STYLE_FOLDED : STYLE_LITERAL;
    }
    return quotingType === QUOTING_TYPE_DOUBLE ? STYLE_DOUBLE : STYLE_SINGLE;
  }
  function writeScalar(state, string, level, iskey, inblock) {
    state.dump = (function() {
      if (string.length === 0) {
        return state.quotingType === QUOTING_TYPE_DOUBLE ? '""' : "''";
      }
      if (!state.noCompatMode) {
        if (DEPRECATED_BOOLEANS_SYNTAX.indexOf(string) !== -1 || DEPRECATED_BASE60_SYNTAX.test(string)) {
          return state.quotingType === QUOTING_TYPE_DOUBLE ? '"' + string + '"' : "'" + string + "'";
        }
      }
      const indent = state.indent * Math.max(1, level);
      const lineWidth = state.lineWidth === -1 ? -1 : Math.max(Math.min(state.lineWidth, 40), state.lineWidth - indent);
      const singleLineOnly = iskey || // No block styles in flow mode.
      state.flowLevel > -1 && level >= state.flowLevel;
      function testAmbiguity(string2) {
        return testImplicitResolving(state, string2);
      }
      switch (chooseScalarStyle(
        string,
        singleLineOnly,
        state.indent,
        lineWidth,
        testAmbiguity,
        state.quotingType,
        state.forceQuotes && !iskey,
        inblock
      )) {
        case STYLE_PLAIN:
          return string;
        case STYLE_SINGLE:
          return "'" + string.replace(/'/g, "''") + "'";
        case STYLE_LITERAL:
          return "|" + blockHeader(string, state.indent) + dropEndingNewline(indentString(string, indent));
        case STYLE_FOLDED:
          return ">" + blockHeader(string, state.indent) + dropEndingNewline(indentString(foldString(string, lineWidth), indent));
        case STYLE_DOUBLE:
          return '"' + escapeString(string) + '"';
        default:
          throw new YAMLException2("impossible error: invalid scalar style");
      }
    })();
  }
  function blockHeader(string, indentPerLevel) {
    const indentIndicator = needIndentIndicator(string) ? String(indentPerLevel) : "";
    const clip = string[string.length - 1] === "\n";
    const keep = clip && (string[string.length - 2] === "\n" || string === "\n");
    const chomp = keep ? "+" : clip ? "" : "-";
    return indentIndicator + chomp + "\n";
  }
  function dropEndingNewline(string) {
    return string[string.length - 1] === "\n" ? string.slice(0, -1) : string;
  }
  function foldString(string, width) {
    const lineRe = /(\n+)([^\n]*)/g;
    let result2 = (function() {
      let nextLF = string.indexOf("\n");
      nextLF = nextLF !== -1 ? nextLF : string.length;
      lineRe.lastIndex = nextLF;
      return foldLine(string.slice(0, nextLF), width);
    })();
    let prevMoreIndented = string[0] === "\n" || string[0] === " ";
    let moreIndented;
    let match;
    while (match = lineRe.exec(string)) {
      const prefix = match[1];
      const line3 = match[2];
      moreIndented = line3[0] === " ";
      result2 += prefix + (!prevMoreIndented && !moreIndented && line3 !== "" ? "\n" : "") + foldLine(line3, width);
      prevMoreIndented = moreIndented;
    }
    return result2;
  }
  function foldLine(line3, width) {
    if (line3 === "" || line3[0] === " ") return line3;
    const breakRe = / [^ ]/g;
    let match;
    let start = 0;
    let end;
    let curr = 0;
    let next = 0;
    let result2 = "";
    while (match = breakRe.exec(line3)) {
      next = match.index;
      if (next - start > width) {
        end = curr > start ? curr : next;
        result2 += "\n" + line3.slice(start, end);
        start = end + 1;
      }
      curr = next;
    }
    result2 += "\n";
    if (line3.length - start > width && curr > start) {
      result2 += line3.slice(start, curr) + "\n" + line3.slice(curr + 1);
    } else {
      result2 += line3.slice(start);
    }
    return result2.slice(1);
  }
  function escapeString(string) {
    let result2 = "";
    let char = 0;
    for (let i = 0; i < string.length; char >= 65536 ? i += 2 : i++) {
      char = codePointAt(string, i);
      const escapeSeq = ESCAPE_SEQUENCES[char];
      if (!escapeSeq && isPrintable(char)) {
        result2 += string[i];
        if (char >= 65536) result2 += string[i + 1];
      } else {
        result2 += escapeSeq || encodeHex(char);
      }
    }
    return result2;
  }
  function writeFlowSequence(state, level, object) {
    let _result = "";
    const _tag = state.tag;
    for (let index = 0, length = object.length; index < length; index += 1) {
      let value = object[index];
      if (state.replacer) {
        value = state.replacer.call(object, String(index), value);
      }
      if (writeNode(state, level, value, false, false) || typeof value === "undefined" && writeNode(state, level, null, false, false)) {
        if (_result !== "") _result += "," + (!state.condenseFlow ? " " : "");
        _result += state.dump;
      }
    }
    state.tag = _tag;
    state.dump = "[" + _result + "]";
  }
  function writeBlockSequence(state, level, object, compact) {
    let _result = "";
    const _tag = state.tag;
    for (let index = 0, length = object.length; index < length; index += 1) {
      let value = object[index];
      if (state.replacer) {
        value = state.replacer.call(object, String(index), value);
      }
      if (writeNode(state, level + 1, value, true, true, false, true) || typeof value === "undefined" && writeNode(state, level + 1, null, true, true, false, true)) {
        if (!compact || _result !== "") {
          _result += generateNextLine(state, level);
        }
        if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
          _result += "-";
        } else {
          _result += "- ";
        }
        _result += state.dump;
      }
    }
    state.tag = _tag;
    state.dump = _result || "[]";
  }
  function writeFlowMapping(state, level, object) {
    let _result = "";
    const _tag = state.tag;
    const objectKeyList = Object.keys(object);
    for (let index = 0, length = objectKeyList.length; index < length; index += 1) {
      let pairBuffer = "";
      if (_result !== "") pairBuffer += ", ";
      if (state.condenseFlow) pairBuffer += '"';
      const objectKey = objectKeyList[index];
      let objectValue = object[objectKey];
      if (state.replacer) {
        objectValue = state.replacer.call(object, objectKey, objectValue);
      }
      if (!writeNode(state, level, objectKey, false, false)) {
        continue;
      }
      if (state.dump.length > 1024) pairBuffer += "? ";
      pairBuffer += state.dump + (state.condenseFlow ? '"' : "") + ":" + (state.condenseFlow ? "" : " ");
      if (!writeNode(state, level, objectValue, false, false)) {
        continue;
      }
      pairBuffer += state.dump;
      _result += pairBuffer;
    }
    state.tag = _tag;
    state.dump = "{" + _result + "}";
  }
  function writeBlockMapping(state, level, object, compact) {
    let _result = "";
    const _tag = state.tag;
    const objectKeyList = Object.keys(object);
    if (state.sortKeys === true) {
      objectKeyList.sort();
    } else if (typeof state.sortKeys === "function") {
      objectKeyList.sort(state.sortKeys);
    } else if (state.sortKeys) {
      throw new YAMLException2("sortKeys must be a boolean or a function");
    }
    for (let index = 0, length = objectKeyList.length; index < length; index += 1) {
      let pairBuffer = "";
      if (!compact || _result !== "") {
        pairBuffer += generateNextLine(state, level);
      }
      const objectKey = objectKeyList[index];
      let objectValue = object[objectKey];
      if (state.replacer) {
        objectValue = state.replacer.call(object, objectKey, objectValue);
      }
      if (!writeNode(state, level + 1, objectKey, true, true, true)) {
        continue;
      }
      const explicitPair = state.tag !== null && state.tag !== "?" || state.dump && state.dump.length > 1024;
      if (explicitPair) {
        if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
          pairBuffer += "?";
        } else {
          pairBuffer += "? ";
        }
      }
      pairBuffer += state.dump;
      if (explicitPair) {
        pairBuffer += generateNextLine(state, level);
      }
      if (!writeNode(state, level + 1, objectValue, true, explicitPair)) {
        continue;
      }
      if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
        pairBuffer += ":";
      } else {
        pairBuffer += ": ";
      }
      pairBuffer += state.dump;
      _result += pairBuffer;
    }
    state.tag = _tag;
    state.dump = _result || "{}";
  }
  function detectType(state, object, explicit) {
    const typeList = explicit ? state.explicitTypes : state.implicitTypes;
    for (let index = 0, length = typeList.length; index < length; index += 1) {
      const type2 = typeList[index];
      if ((type2.instanceOf || type2.predicate) && (!type2.instanceOf || typeof object === "object" && object instanceof type2.instanceOf) && (!type2.predicate || type2.predicate(object))) {
        if (explicit) {
          if (type2.multi && type2.representName) {
            state.tag = type2.representName(object);
          } else {
            state.tag = type2.tag;
          }
        } else {
          state.tag = "?";
        }
        if (type2.represent) {
          const style = state.styleMap[type2.tag] || type2.defaultStyle;
          let _result;
          if (_toString.call(type2.represent) === "[object Function]") {
            _result = type2.represent(object, style);
          } else if (_hasOwnProperty.call(type2.represent, style)) {
            _result = type2.represent[style](object, style);
          } else {
            throw new YAMLException2("!<" + type2.tag + '> tag resolver accepts not "' + style + '" style');
          }
          state.dump = _result;
        }
        return true;
      }
    }
    return false;
  }
  function writeNode(state, level, object, block, compact, iskey, isblockseq) {
    state.tag = null;
    state.dump = object;
    if (!detectType(state, object, false)) {
      detectType(state, object, true);
    }
    const type2 = _toString.call(state.dump);
    const inblock = block;
    if (block) {
      block = state.flowLevel < 0 || state.flowLevel > level;
    }
    const objectOrArray = type2 === "[object Object]" || type2 === "[object Array]";
    let duplicateIndex;
    let duplicate;
    if (objectOrArray) {
      duplicateIndex = state.duplicates.indexOf(object);
      duplicate = duplicateIndex !== -1;
    }
    if (state.tag !== null && state.tag !== "?" || duplicate || state.indent !== 2 && level > 0) {
      compact = false;
    }
    if (duplicate && state.usedDuplicates[duplicateIndex]) {
      state.dump = "*ref_" + duplicateIndex;
    } else {
      if (objectOrArray && duplicate && !state.usedDuplicates[duplicateIndex]) {
        state.usedDuplicates[duplicateIndex] = true;
      }
      if (type2 === "[object Object]") {
        if (block && Object.keys(state.dump).length !== 0) {
          writeBlockMapping(state, level, state.dump, compact);
          if (duplicate) {
            state.dump = "&ref_" + duplicateIndex + state.dump;
          }
        } else {
          writeFlowMapping(state, level, state.dump);
          if (duplicate) {
            state.dump = "&ref_" + duplicateIndex + " " + state.dump;
          }
        }
      } else if (type2 === "[object Array]") {
        if (block && state.dump.length !== 0) {
          if (state.noArrayIndent && !isblockseq && level > 0) {
            writeBlockSequence(state, level - 1, state.dump, compact);
          } else {
            writeBlockSequence(state, level, state.dump, compact);
          }
          if (duplicate) {
            state.dump = "&ref_" + duplicateIndex + state.dump;
          }
        } else {
          writeFlowSequence(state, level, state.dump);
          if (duplicate) {
            state.dump = "&ref_" + duplicateIndex + " " + state.dump;
          }
        }
      } else if (type2 === "[object String]") {
        if (state.tag !== "?") {
          writeScalar(state, state.dump, level, iskey, inblock);
        }
      } else if (type2 === "[object Undefined]") {
        return false;
      } else {
        if (state.skipInvalid) return false;
        throw new YAMLException2("unacceptable kind of an object to dump " + type2);
      }
      if (state.tag !== null && state.tag !== "?") {
        let tagStr = encodeURI(
          state.tag[0] === "!" ? state.tag.slice(1) : state.tag
        ).replace(/!/g, "%21");
        if (state.tag[0] === "!") {
          tagStr = "!" + tagStr;
        } else if (tagStr.slice(0, 18) === "tag:yaml.org,2002:") {
          tagStr = "!!" + tagStr.slice(18);
        } else {
          tagStr = "!<" + tagStr + ">";
        }
        state.dump = tagStr + " " + state.dump;
      }
    }
    return true;
  }
  function getDuplicateReferences(object, state) {
    const objects = [];
    const duplicatesIndexes = [];
    inspectNode(object, objects, duplicatesIndexes);
    const length = duplicatesIndexes.length;
    for (let index = 0; index < length; index += 1) {
      state.duplicates.push(objects[duplicatesIndexes[index]]);
    }
    state.usedDuplicates = new Array(length);
  }
  function inspectNode(object, objects, duplicatesIndexes) {
    if (object !== null && typeof object === "object") {
      const index = objects.indexOf(object);
      if (index !== -1) {
        if (duplicatesIndexes.indexOf(index) === -1) {
          duplicatesIndexes.push(index);
        }
      } else {
        objects.push(object);
        if (Array.isArray(object)) {
          for (let i = 0, length = object.length; i < length; i += 1) {
            inspectNode(object[i], objects, duplicatesIndexes);
          }
        } else {
          const objectKeyList = Object.keys(object);
          for (let i = 0, length = objectKeyList.length; i < length; i += 1) {
            inspectNode(object[objectKeyList[i]], objects, duplicatesIndexes);
          }
        }
      }
    }
  }
  function dump2(input, options) {
    options = options || {};
    const state = new State(options);
    if (!state.noRefs) getDuplicateReferences(input, state);
    let value = input;
    if (state.replacer) {
      value = state.replacer.call({ "": value }, "", value);
    }
    if (writeNode(state, 0, value, true, true)) return state.dump + "\n";
    return "";
  }
  dumper.dump = dump2;
  return dumper;
}
var hasRequiredJsYaml;
function requireJsYaml() {
  if (hasRequiredJsYaml) return jsYaml;
  hasRequiredJsYaml = 1;
  const loader2 = requireLoader();
  const dumper2 = requireDumper();
  function renamed(from, to) {
    return function() {
      throw new Error("Function yaml." + from + " is removed in js-yaml 4. Use yaml." + to + " instead, which is now safe by default.");
    };
  }
  jsYaml.Type = requireType();
  jsYaml.Schema = requireSchema();
  jsYaml.FAILSAFE_SCHEMA = requireFailsafe();
  jsYaml.JSON_SCHEMA = requireJson();
  jsYaml.CORE_SCHEMA = requireCore();
  jsYaml.DEFAULT_SCHEMA = require_default();
  jsYaml.load = loader2.load;
  jsYaml.loadAll = loader2.loadAll;
  jsYaml.dump = dumper2.dump;
  jsYaml.YAMLException = requireException();
  jsYaml.types = {
    binary: requireBinary(),
    float: requireFloat(),
    map: requireMap(),
    null: require_null(),
    pairs: requirePairs(),
    set: requireSet(),
    timestamp: requireTimestamp(),
    bool: requireBool(),
    int: requireInt(),
    merge: requireMerge(),
    omap: requireOmap(),
    seq: requireSeq(),
    str: requireStr()
  };
  jsYaml.safeLoad = renamed("safeLoad", "load");
  jsYaml.safeLoadAll = renamed("safeLoadAll", "loadAll");
  jsYaml.safeDump = renamed("safeDump", "dump");
  return jsYaml;
}
var jsYamlExports = requireJsYaml();
var yaml = /* @__PURE__ */ getDefaultExportFromCjs(jsYamlExports);
var {
  Type,
  Schema,
  FAILSAFE_SCHEMA,
  JSON_SCHEMA,
  CORE_SCHEMA,
  DEFAULT_SCHEMA,
  load,
  loadAll,
  dump,
  YAMLException,
  types,
  safeLoad,
  safeLoadAll,
  safeDump
} = yaml;

// schema/config.schema.json
var config_schema_default = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://github.com/kube-blast-radius/kube-blast-radius/schema/config.schema.json",
  title: "Blast Radius configuration (.blast-radius.yml)",
  description: "Fleet, rollout stages, API-server capacity, rule settings and locks for the Blast Radius pre-merge check. Read from the base commit of a pull request.",
  type: "object",
  additionalProperties: false,
  definitions: {
    severity: { type: "string", enum: ["low", "medium", "high", "critical"] },
    level: { type: "string", enum: ["none", "low", "medium", "high", "critical"] },
    positiveNumber: { type: "number", exclusiveMinimum: 0 },
    positiveInteger: { type: "integer", minimum: 1 },
    cluster: {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$", description: "Cluster name as findings and reports show it." },
        nodes: { $ref: "#/definitions/positiveInteger", description: "Node count. When absent: 100 for pre-production stages, 5,000 for production (marked nodesAssumed)." },
        stage: { type: "string", minLength: 1, description: "Rollout stage; must be one of rollout.stages when that is set." },
        paths: { type: "array", items: { type: "string", minLength: 1 }, description: "Repository-relative globs of the files this cluster receives." },
        kubernetesVersion: { type: "string", pattern: "^[0-9]+\\.[0-9]+(\\.[0-9]+)?$" },
        argocd: {
          type: "object",
          additionalProperties: false,
          properties: {
            name: { type: "string" },
            server: { type: "string" },
            labels: { type: "object", additionalProperties: { type: "string" } }
          }
        }
      }
    }
  },
  properties: {
    fleet: {
      type: "object",
      additionalProperties: false,
      properties: {
        defaults: {
          type: "object",
          additionalProperties: false,
          properties: {
            podsPerNode: { $ref: "#/definitions/positiveNumber", description: "Pods per node in the load model (default 30)." },
            objectBytes: { $ref: "#/definitions/positiveNumber", description: "Bytes per object in a LIST response (default 8192)." },
            objects: {
              type: "object",
              description: "Object counts of kinds that grow with workloads rather than nodes (default 5000; namespaces 500).",
              additionalProperties: { type: "number", minimum: 0 }
            }
          }
        },
        clusters: {
          type: "array",
          items: { $ref: "#/definitions/cluster" }
        }
      }
    },
    rollout: {
      type: "object",
      additionalProperties: false,
      properties: {
        stages: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", minLength: 1 }, description: "Stages in promotion order, earliest first; the last is production." }
      }
    },
    apiServer: {
      type: "object",
      additionalProperties: false,
      properties: {
        replicas: { $ref: "#/definitions/positiveInteger", description: "API server replicas (default 3)." },
        egressBytesPerSecond: { $ref: "#/definitions/positiveNumber", description: "Egress bandwidth of one API server in bytes/s (default 1.25e9)." },
        requestsPerSecond: { $ref: "#/definitions/positiveNumber", description: "Requests per second the API servers serve together (default 2000)." }
      }
    },
    rules: {
      type: "object",
      description: "Per-rule settings, keyed by rule id: `off`, or an object with a severity override.",
      propertyNames: { pattern: "^[a-z0-9-]+/[a-z0-9-]+$" },
      additionalProperties: {
        oneOf: [
          { type: "string", enum: ["off"] },
          { type: "object", additionalProperties: false, properties: { severity: { $ref: "#/definitions/severity" } } }
        ]
      }
    },
    failOn: { $ref: "#/definitions/level", description: "Lowest level that fails the check (default high)." },
    history: {
      type: "object",
      additionalProperties: false,
      properties: { maxCommits: { $ref: "#/definitions/positiveInteger", description: "How far back revert-lock looks (default 1000)." } }
    },
    acceptLabel: { type: "string", minLength: 1, maxLength: 50, description: "A verified pull-request label that accepts the PR's findings (all but revert-lock)." },
    locks: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "reason", "match"],
        properties: {
          id: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,27}$", description: "At most 28 characters; the label `blast-radius-override:<id>` lifts the lock." },
          reason: { type: "string", minLength: 1 },
          match: {
            type: "object",
            additionalProperties: false,
            minProperties: 1,
            properties: {
              kind: { type: "string" },
              namespace: { type: "string" },
              name: { type: "string" }
            }
          }
        }
      }
    }
  }
};

// src/util.ts
function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

// src/yaml/lines.ts
var import_yaml = __toESM(require_dist(), 1);
var cache = /* @__PURE__ */ new Map();
function parsed(text) {
  let p = cache.get(text);
  if (!p) {
    const counter = new import_yaml.LineCounter();
    const docs = (0, import_yaml.parseAllDocuments)(text, { lineCounter: counter, uniqueKeys: false, strict: false });
    p = { docs: Array.isArray(docs) ? docs : [], counter };
    if (cache.size > 256) cache.clear();
    cache.set(text, p);
  }
  return p;
}
function line(counter, offset) {
  return counter.linePos(offset).line;
}
function lineOf(text, docIndex, path, innerLine, identify, docCount) {
  const seg = docCount === void 0 ? void 0 : segmentOf(text, docIndex, docCount);
  if (seg) {
    const found = locate(parsed(seg.text), 0, path, innerLine, identify, true);
    if (found !== void 0) return found + seg.line;
  }
  return locate(parsed(text), docIndex, path, innerLine, identify, false) ?? 1;
}
var DOC_START = /^---(?:[ \t]|$)/;
var DOC_END_OR_DIRECTIVE = /^(?:\.\.\.(?:[ \t]|$)|%)/;
function documentStarts(text) {
  const starts2 = [];
  let offset = 0;
  let line3 = 0;
  let content = false;
  for (const l of text.split("\n")) {
    if (DOC_END_OR_DIRECTIVE.test(l)) return void 0;
    if (DOC_START.test(l)) starts2.push({ offset, line: line3 });
    else if (starts2.length === 0 && !content && l.trim() !== "" && !l.trimStart().startsWith("#")) content = true;
    offset += l.length + 1;
    line3++;
  }
  if (content) starts2.unshift({ offset: 0, line: 0 });
  return starts2;
}
var starts = /* @__PURE__ */ new Map();
function segmentOf(text, docIndex, docCount) {
  let s = starts.get(text);
  if (s === void 0) {
    s = documentStarts(text) ?? null;
    if (starts.size > 256) starts.clear();
    starts.set(text, s);
  }
  if (!s || s.length !== docCount || docIndex >= s.length) return void 0;
  const from = s[docIndex];
  const to = docIndex + 1 < s.length ? s[docIndex + 1].offset : text.length;
  return { text: text.slice(from.offset, to), line: from.line };
}
function locate({ docs, counter }, docIndex, path, innerLine, identify, strict) {
  let doc = docs[docIndex];
  if (identify && (!doc || !safeIdentify(identify, doc))) {
    if (strict) return void 0;
    doc = docs.find((d) => safeIdentify(identify, d)) ?? doc;
  }
  if (!doc) return strict ? void 0 : 1;
  let node2 = doc.contents;
  let best = node2 && node2.range ? line(counter, node2.range[0]) : 1;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if ((0, import_yaml.isMap)(node2)) {
      const pair = node2.items.findLast((it) => (0, import_yaml.isPair)(it) && (0, import_yaml.isScalar)(it.key) && String(it.key.value) === String(step));
      if (!pair) break;
      const key = pair.key;
      if (key.range) best = line(counter, key.range[0]);
      node2 = pair.value;
      if (i === path.length - 1 && innerLine !== void 0 && (0, import_yaml.isScalar)(node2) && node2.range) {
        if (node2.type === "BLOCK_LITERAL") {
          return line(counter, node2.range[0]) + 1 + innerLine;
        }
      }
    } else if ((0, import_yaml.isSeq)(node2)) {
      if (typeof step !== "number") break;
      const item = node2.items[step];
      if (!item) break;
      if (item.range) best = line(counter, item.range[0]);
      node2 = item;
    } else {
      break;
    }
  }
  return best;
}
function safeIdentify(identify, doc) {
  try {
    return identify(doc.toJS({ maxAliasCount: 100 }));
  } catch {
    return false;
  }
}

// src/config.ts
var CONFIG_FILE = ".blast-radius.yml";
var DEFAULTS = {
  podsPerNode: 30,
  objectBytes: 8192,
  objects: { replicasets: 5e3, services: 5e3, deployments: 5e3, configmaps: 5e3, namespaces: 500 },
  apiServer: { replicas: 3, egressBytesPerSecond: 125e7, requestsPerSecond: 2e3 },
  maxCommits: 1e3
};
function defaultConfig() {
  return resolve({});
}
var validator;
function validate(value) {
  validator ??= new import_ajv.Ajv({ allErrors: true, strict: false }).compile(config_schema_default);
  return validator(value) ? [] : [...validator.errors ?? []];
}
function keyOf(path) {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out || "(root)";
}
function pathOf(instancePath) {
  if (!instancePath) return [];
  return instancePath.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~")).map((s) => /^\d+$/.test(s) ? Number(s) : s);
}
function describe(e) {
  const path = pathOf(e.instancePath);
  const p = e.params;
  switch (e.keyword) {
    case "additionalProperties":
      return { path: [...path, String(p.additionalProperty)], message: "unknown key" };
    case "required":
      return { path, message: `missing required key "${String(p.missingProperty)}"` };
    case "enum":
      return { path, message: `must be one of ${p.allowedValues.map((v) => JSON.stringify(v)).join(", ")}` };
    case "propertyNames":
      return { path: [...path, String(p.propertyName)], message: "is not a rule id (<family>/<name>)" };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}
function parseConfig(text, knownRules) {
  let raw;
  try {
    raw = yaml.load(text, { json: true });
  } catch (e) {
    const err = e;
    return { ok: false, problems: [{ key: "(root)", line: (err.mark?.line ?? 0) + 1, message: `YAML parse error: ${err.reason ?? err.message}` }] };
  }
  if (raw === void 0 || raw === null) raw = {};
  const at = (path) => lineOf(text, 0, path);
  const problems = [];
  const seen = /* @__PURE__ */ new Set();
  const errors = validate(raw);
  for (const e of errors) {
    if (e.keyword === "oneOf" || e.keyword === "if") continue;
    if (errors.some((f) => f.instancePath.startsWith(`${e.instancePath}/`))) continue;
    const d = describe(e);
    const key = keyOf(d.path);
    const id = `${key}\0${d.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({ key, line: at(d.path), message: d.message });
  }
  if (problems.length === 0) {
    const cfg = raw;
    const stages = cfg.rollout?.stages;
    const names = /* @__PURE__ */ new Set();
    (cfg.fleet?.clusters ?? []).forEach((c, i) => {
      if (names.has(c.name)) problems.push({ key: `fleet.clusters[${i}].name`, line: at(["fleet", "clusters", i, "name"]), message: `duplicate cluster name "${c.name}"` });
      names.add(c.name);
      if (c.name === "unmapped") problems.push({ key: `fleet.clusters[${i}].name`, line: at(["fleet", "clusters", i, "name"]), message: '"unmapped" is reserved for files that reach no known cluster' });
      if (stages && c.stage !== void 0 && !stages.includes(c.stage)) {
        problems.push({ key: `fleet.clusters[${i}].stage`, line: at(["fleet", "clusters", i, "stage"]), message: `stage "${c.stage}" is not in rollout.stages (${stages.join(", ")})` });
      }
    });
    for (const id of Object.keys(cfg.rules ?? {})) {
      if (!knownRules.includes(id)) problems.push({ key: `rules.${id}`, line: at(["rules", id]), message: "unknown rule id" });
    }
    const locks = /* @__PURE__ */ new Set();
    (cfg.locks ?? []).forEach((l, i) => {
      if (locks.has(l.id)) problems.push({ key: `locks[${i}].id`, line: at(["locks", i, "id"]), message: `duplicate lock id "${l.id}"` });
      locks.add(l.id);
    });
  }
  problems.sort((a, b) => a.line - b.line || cmp(a.key, b.key));
  return problems.length ? { ok: false, problems } : { ok: true, config: resolve(raw) };
}
function resolve(c) {
  const d = c.fleet?.defaults ?? {};
  return {
    fleet: {
      defaults: {
        podsPerNode: d.podsPerNode ?? DEFAULTS.podsPerNode,
        objectBytes: d.objectBytes ?? DEFAULTS.objectBytes,
        objects: { ...DEFAULTS.objects, ...d.objects ?? {} }
      },
      clusters: c.fleet?.clusters ?? []
    },
    rollout: c.rollout?.stages ? { stages: c.rollout.stages } : {},
    apiServer: { ...DEFAULTS.apiServer, ...c.apiServer ?? {} },
    rules: c.rules ?? {},
    ...c.failOn ? { failOn: c.failOn } : {},
    history: { maxCommits: c.history?.maxCommits ?? DEFAULTS.maxCommits },
    ...c.acceptLabel ? { acceptLabel: c.acceptLabel } : {},
    locks: c.locks ?? []
  };
}
function formatProblem(file, p) {
  return `${file}:${p.line}: ${p.key}: ${p.message}`;
}

// src/config-rule.ts
var CONFIG_RULE = {
  id: "config/invalid",
  family: "config",
  type: "change",
  severity: "high",
  description: "Flag a change that makes the Blast Radius configuration invalid",
  docs: "docs/rules/config/invalid.md",
  remediation: "Fix the key as the message says; `npx blast-radius check --config .blast-radius.yml` validates it locally."
};
function configFindings(file, problems) {
  return problems.map((p) => ({
    ruleId: CONFIG_RULE.id,
    family: CONFIG_RULE.family,
    severity: CONFIG_RULE.severity,
    message: `${p.key}: ${p.message} \u2014 once merged, every later check would stop with a configuration error`,
    remediation: CONFIG_RULE.remediation,
    file,
    line: p.line,
    resource: null,
    clusters: [],
    suppressed: false,
    suppressedBy: null,
    key: p.key
  }));
}

// src/fleet.ts
var import_picomatch2 = __toESM(require_picomatch2(), 1);

// src/yaml/walk.ts
var NODE_BUDGET = 1e6;
function expandedSize(value, limit = NODE_BUDGET) {
  const memo = /* @__PURE__ */ new Map();
  const active = /* @__PURE__ */ new Set();
  const size2 = (v) => {
    if (v === null || typeof v !== "object") return 1;
    const known = memo.get(v);
    if (known !== void 0) return known;
    if (active.has(v)) return limit + 1;
    active.add(v);
    let total = 1;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      total += size2(child);
      if (total > limit) break;
    }
    active.delete(v);
    const result2 = Math.min(total, limit + 1);
    memo.set(v, result2);
    return result2;
  };
  return size2(value);
}
function walk(value, visit, budget = NODE_BUDGET) {
  const seen = /* @__PURE__ */ new Set();
  let left = budget;
  const go = (v, path) => {
    if (left-- <= 0) return;
    if (v !== null && typeof v === "object") {
      if (seen.has(v)) return;
      seen.add(v);
    }
    if (visit(v, path) === "skip") return;
    if (Array.isArray(v)) {
      v.forEach((child, i) => go(child, [...path, i]));
    } else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) go(child, [...path, k]);
    }
  };
  go(value, []);
}
function getIn(value, path) {
  let cur = value;
  for (const step of path) {
    if (cur === null || typeof cur !== "object") return void 0;
    if (Array.isArray(cur)) {
      if (typeof step !== "number") return void 0;
      cur = cur[step];
    } else {
      if (typeof step !== "string" || !Object.prototype.hasOwnProperty.call(cur, step)) return void 0;
      cur = cur[step];
    }
  }
  return cur;
}
function asMap(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : void 0;
}
function asList(value) {
  return Array.isArray(value) ? value : [];
}
function asString(value) {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return void 0;
}
function asStrings(value) {
  const out = [];
  for (const v of asList(value)) {
    const s = asString(v);
    if (s !== void 0) out.push(s);
  }
  return out;
}
function stringMap(value) {
  const out = {};
  for (const [k, v] of Object.entries(asMap(value) ?? {})) {
    const s = asString(v);
    if (s !== void 0) out[k] = s;
  }
  return out;
}

// src/selector.ts
var SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];
var NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
var DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
function isValidLabelKey(key) {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) return false;
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return false;
  }
  return true;
}
function isValidLabelValue(value) {
  return value === "" || value.length <= 63 && NAME_PART.test(value);
}
function parseSelector(selector) {
  if (selector === void 0 || selector === null) return { ok: true, requirements: [] };
  const map2 = asMap(selector);
  if (!map2) return { ok: false, problem: "selector is not a mapping" };
  const requirements = [];
  const labels = map2.matchLabels;
  if (labels !== void 0 && labels !== null) {
    const m = asMap(labels);
    if (!m) return { ok: false, problem: "matchLabels is not a mapping" };
    for (const [key, value] of Object.entries(m)) {
      if (!isValidLabelKey(key)) return { ok: false, problem: `matchLabels key "${key}" is not a valid label key` };
      if (typeof value !== "string") return { ok: false, problem: `matchLabels value of "${key}" is not a string` };
      if (!isValidLabelValue(value)) return { ok: false, problem: `matchLabels value "${value}" is not a valid label value` };
      requirements.push({ key, operator: "In", values: [value] });
    }
  }
  const expressions = map2.matchExpressions;
  if (expressions !== void 0 && expressions !== null) {
    if (!Array.isArray(expressions)) return { ok: false, problem: "matchExpressions is not a list" };
    for (const [i, raw] of expressions.entries()) {
      const e = asMap(raw);
      if (!e) return { ok: false, problem: `matchExpressions[${i}] is not a mapping` };
      const key = e.key;
      if (typeof key !== "string" || !isValidLabelKey(key)) return { ok: false, problem: `matchExpressions[${i}].key is not a valid label key` };
      const operator = e.operator;
      if (typeof operator !== "string" || !SELECTOR_OPERATORS.includes(operator)) {
        return { ok: false, problem: `matchExpressions[${i}].operator is not one of ${SELECTOR_OPERATORS.join(", ")}` };
      }
      if (e.values !== void 0 && e.values !== null && !Array.isArray(e.values)) {
        return { ok: false, problem: `matchExpressions[${i}].values is not a list` };
      }
      const values = [];
      for (const v of asList(e.values)) {
        if (typeof v !== "string" || !isValidLabelValue(v)) return { ok: false, problem: `matchExpressions[${i}].values holds an invalid label value` };
        values.push(v);
      }
      const op = operator;
      if ((op === "In" || op === "NotIn") && values.length === 0) return { ok: false, problem: `matchExpressions[${i}]: ${op} needs values` };
      if ((op === "Exists" || op === "DoesNotExist") && values.length > 0) return { ok: false, problem: `matchExpressions[${i}]: ${op} takes no values` };
      requirements.push({ key, operator: op, values });
    }
  }
  return { ok: true, requirements };
}
function holds(r, labels) {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case "In":
      return has && r.values.includes(labels[r.key]);
    case "NotIn":
      return !has || !r.values.includes(labels[r.key]);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}
function matchesSelector(selector, labels) {
  const parsed2 = parseSelector(selector);
  return parsed2.ok && parsed2.requirements.every((r) => holds(r, labels));
}
function isEmptySelector(selector) {
  const parsed2 = parseSelector(selector);
  return parsed2.ok && parsed2.requirements.length === 0;
}

// src/units.ts
var import_picomatch = __toESM(require_picomatch2(), 1);
import { posix as posix2 } from "node:path";

// src/kustomize.ts
import { posix } from "node:path";

// src/kube.ts
var CLUSTER_SCOPED_KINDS = /* @__PURE__ */ new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "StorageClass",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "APIService",
  "PriorityClass",
  "PriorityLevelConfiguration",
  "FlowSchema",
  "CSIDriver",
  "CSINode",
  "IngressClass",
  "RuntimeClass",
  "VolumeAttachment",
  "CertificateSigningRequest",
  "ComponentStatus",
  "ClusterIssuer",
  "ClusterPolicy",
  "ClusterSecretStore",
  "GatewayClass",
  "ClusterTrustBundle",
  "DeviceClass",
  "ResourceSlice",
  "StorageVersionMigration",
  "IPAddress",
  "ServiceCIDR"
]);
function isClusterScoped(kind) {
  return CLUSTER_SCOPED_KINDS.has(kind);
}
var POD_SPEC_PATHS = {
  Pod: ["spec"],
  Deployment: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"]
};
function podSpecPath(kind) {
  return Object.hasOwn(POD_SPEC_PATHS, kind) ? POD_SPEC_PATHS[kind] : void 0;
}
function podSpecOf(o) {
  const path = podSpecPath(o.kind);
  return path ? asMap(getIn(o.doc, path)) : void 0;
}
function labelsOf(o) {
  const out = {};
  for (const [k, v] of Object.entries(asMap(getIn(o.doc, ["metadata", "labels"])) ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

// src/yaml/parse.ts
var MAX_FILE_BYTES = 4 * 1024 * 1024;
var MAX_DEPTH = 100;
var SCHEMA = yaml.CORE_SCHEMA.extend([yaml.types.merge]);
var LOAD_OPTIONS = { json: true, maxDepth: MAX_DEPTH, schema: SCHEMA };
var YAML_FILE = /\.ya?ml$/i;
function isYamlPath(path) {
  return YAML_FILE.test(path);
}
function objectRef(kind, namespace, name) {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}
function makeObject(doc, file, docIndex, docPath) {
  const apiVersion = asString(doc.apiVersion);
  const kind = asString(doc.kind);
  if (!apiVersion || !kind) return void 0;
  const metadata = asMap(doc.metadata);
  const name = asString(metadata?.name) ?? asString(metadata?.generateName) ?? "";
  const ns = asString(metadata?.namespace);
  const namespace = ns && ns.length > 0 ? ns : null;
  return { apiVersion, kind, name, namespace, ref: objectRef(kind, namespace, name), doc, file, docIndex, docPath, unit: "." };
}
function objectsOfDocument(doc, file, docIndex) {
  const map2 = asMap(doc);
  if (!map2) return [];
  const kind = asString(map2.kind);
  if (kind && /List$/.test(kind) && Array.isArray(map2.items)) {
    const out = [];
    map2.items.forEach((item, i) => {
      const m = asMap(item);
      const o2 = m && makeObject(m, file, docIndex, ["items", i]);
      if (o2) out.push(o2);
    });
    return out;
  }
  const o = makeObject(map2, file, docIndex, []);
  return o ? [o] : [];
}
function looksBinary(text) {
  return text.slice(0, 8192).includes("\0");
}
function isHelmTemplate(path, text, hasFile) {
  const parts = path.split("/");
  const t = parts.lastIndexOf("templates");
  if (t < 0) return false;
  const chartDir = parts.slice(0, t).join("/");
  if (hasFile(chartDir ? `${chartDir}/Chart.yaml` : "Chart.yaml")) return true;
  return text.includes("{{");
}
function parseError(e) {
  const err = e;
  const line3 = typeof err.mark?.line === "number" ? err.mark.line + 1 : 1;
  return { line: line3, message: `YAML parse error: ${err.reason ?? err.message ?? String(e)}` };
}
function loadUntilError(text, docs) {
  const lines = text.split("\n");
  let start = 0;
  const flush = (end) => {
    const chunk = lines.slice(start, end).join("\n");
    try {
      const loaded = [];
      yaml.loadAll(chunk, (d) => loaded.push(d), LOAD_OPTIONS);
      docs.push(...loaded);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 1; i < lines.length; i++) {
    if (/^---(\s|$)/.test(lines[i])) {
      if (!flush(i)) return;
      start = i;
    }
  }
}
function parseYamlFile(path, blob, text) {
  const base = { path, blob, text };
  if (text.length > MAX_FILE_BYTES) {
    return { ...base, docs: [], objects: [], error: { line: 1, message: `file is ${text.length} bytes, above the ${MAX_FILE_BYTES}-byte limit; not analysed` } };
  }
  if (looksBinary(text)) {
    return { ...base, docs: [], objects: [], error: { line: 1, message: "binary content in a YAML file; not analysed" } };
  }
  const body = text.charCodeAt(0) === 65279 ? text.slice(1) : text;
  const docs = [];
  let error;
  try {
    yaml.loadAll(body, (d) => docs.push(d), LOAD_OPTIONS);
  } catch (e) {
    error = parseError(e);
    docs.length = 0;
    loadUntilError(body, docs);
  }
  const objects = [];
  const mayAlias = body.includes("&") && /(^|[\s[{,:-])\*[^\s,\]}'"]/m.test(body);
  for (let i = 0; i < docs.length; i++) {
    if (mayAlias && expandedSize(docs[i]) > NODE_BUDGET) {
      error ??= { line: 1, message: `document ${i + 1} expands to more than ${NODE_BUDGET} nodes through aliases (an alias bomb); not analysed` };
      docs.length = i;
      break;
    }
    objects.push(...objectsOfDocument(docs[i], path, i));
  }
  return error ? { ...base, docs, objects, error } : { ...base, docs, objects };
}

// src/kustomize.ts
var KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
var MAX_DEPTH2 = 30;
function isKustomizationPath(path) {
  return KUSTOMIZATION_NAMES.includes(posix.basename(path));
}
function kustomizationIn(tree, dir) {
  for (const name of KUSTOMIZATION_NAMES) {
    const p = dir ? `${dir}/${name}` : name;
    if (tree.files.has(p)) return p;
  }
  return void 0;
}
function resolvePath(dir, entry) {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(git@|github\.com\/|gitlab\.com\/)/.test(entry)) return void 0;
  const joined = posix.normalize(posix.join(dir || ".", entry)).replace(/\/+$/, "");
  if (joined === ".." || joined.startsWith("../") || posix.isAbsolute(joined)) return void 0;
  return joined === "." ? "" : joined;
}
function kustomizationDoc(tree, path) {
  return asMap(tree.files.get(path)?.docs[0]);
}
function patchEntries(doc, dir) {
  const out = [];
  const fromString = (s) => (
    // An entry with a newline, or that parses as a mapping, is an inline patch; anything else a path.
    s.includes("\n") ? { inline: s } : { file: resolvePath(dir, s) }
  );
  for (const e of asList(doc.patchesStrategicMerge)) {
    const s = asString(e);
    if (s !== void 0) out.push(fromString(s));
  }
  for (const key of ["patches", "patchesJson6902"]) {
    for (const e of asList(doc[key])) {
      const m = asMap(e);
      const s = asString(e);
      if (s !== void 0) out.push(fromString(s));
      if (!m) continue;
      const path = asString(m.path);
      const inline = asString(m.patch);
      out.push({ ...path ? { file: resolvePath(dir, path) } : {}, ...inline ? { inline } : {}, ...asMap(m.target) ? { target: asMap(m.target) } : {} });
    }
  }
  return out;
}
function kustomizationInputs(doc, dir) {
  const files = [];
  for (const p of patchEntries(doc, dir)) if (p.file) files.push(p.file);
  for (const key of ["configMapGenerator", "secretGenerator"]) {
    for (const g of asList(doc[key])) {
      const m = asMap(g);
      for (const f of [...asList(m?.files), ...asList(m?.envs), ...m?.env ? [m.env] : []]) {
        const s = asString(f);
        if (!s) continue;
        const eq = s.indexOf("=");
        const p = resolvePath(dir, eq >= 0 ? s.slice(eq + 1) : s);
        if (p) files.push(p);
      }
    }
  }
  for (const key of ["transformers", "generators", "validators", "replacements", "configurations", "crds"]) {
    for (const e of asList(doc[key])) {
      const s = asString(e);
      const p = s && !s.includes("\n") ? resolvePath(dir, s) : void 0;
      if (p) files.push(p);
    }
  }
  return files;
}
function treeInputs(tree) {
  const inputs = /* @__PURE__ */ new Map();
  for (const [path, f] of tree.files) {
    if (!isKustomizationPath(path)) continue;
    const doc = asMap(f.docs[0]);
    if (!doc) continue;
    for (const p of kustomizationInputs(doc, posix.dirname(path) === "." ? "" : posix.dirname(path))) if (!inputs.has(p)) inputs.set(p, path);
  }
  return inputs;
}
function edit(r) {
  if (!r.cloned) {
    r.doc = structuredClone(r.doc);
    r.cloned = true;
  }
  return r.doc;
}
var nameOf = (doc) => asString(asMap(doc.metadata)?.name) ?? "";
var namespaceOf = (doc) => asString(asMap(doc.metadata)?.namespace) || null;
var kindOf = (doc) => asString(doc.kind) ?? "";
function buildKustomization(tree, dir, unit) {
  const files = /* @__PURE__ */ new Set();
  const notes = [];
  const resources = build(tree, dir, [], files, notes);
  const objects = resources.map((r) => {
    if (!r.cloned) return { ...r.source, unit, source: r.source.source ?? r.source };
    const name = nameOf(r.doc);
    const namespace = namespaceOf(r.doc);
    return { ...r.source, doc: r.doc, name, namespace, ref: objectRef(r.source.kind, namespace, name), unit, source: r.source.source ?? r.source };
  });
  return { objects, files, notes };
}
var indexCache = /* @__PURE__ */ new WeakMap();
function dirIndex(tree) {
  let idx = indexCache.get(tree.files);
  if (!idx) {
    idx = { dirs: /* @__PURE__ */ new Set([""]), yaml: /* @__PURE__ */ new Map(), children: /* @__PURE__ */ new Map() };
    for (const p of tree.paths) {
      let d = posix.dirname(p);
      while (d !== "." && !idx.dirs.has(d)) {
        idx.dirs.add(d);
        const parent = posix.dirname(d) === "." ? "" : posix.dirname(d);
        (idx.children.get(parent) ?? idx.children.set(parent, []).get(parent)).push(d);
        d = posix.dirname(d);
      }
    }
    for (const p of tree.files.keys()) {
      const d = posix.dirname(p) === "." ? "" : posix.dirname(p);
      (idx.yaml.get(d) ?? idx.yaml.set(d, []).get(d)).push(p);
    }
    indexCache.set(tree.files, idx);
  }
  return idx;
}
function yamlFilesIn(tree, dir) {
  return dirIndex(tree).yaml.get(dir) ?? [];
}
function subdirsOf(tree, dir) {
  return dirIndex(tree).children.get(dir) ?? [];
}
function isDirectory(tree, path) {
  return dirIndex(tree).dirs.has(path);
}
function objectsOfFile(tree, path) {
  const f = tree.files.get(path);
  if (!f || f.input) return [];
  return f.objects.map((o) => ({ source: o, doc: o.doc, cloned: false }));
}
function build(tree, dir, stack, files, notes, inherited) {
  const kpath = kustomizationIn(tree, dir);
  if (!kpath) {
    const out = [];
    for (const p of yamlFilesIn(tree, dir)) {
      files.add(p);
      out.push(...objectsOfFile(tree, p));
    }
    return out;
  }
  files.add(kpath);
  if (stack.includes(dir) || stack.length > MAX_DEPTH2) {
    notes.push(`${kpath}: kustomization cycle or chain deeper than ${MAX_DEPTH2}; not followed further`);
    return [];
  }
  const doc = kustomizationDoc(tree, kpath);
  if (!doc) return [];
  const here = [...stack, dir];
  let res = inherited ? [...inherited] : [];
  for (const key of ["resources", "bases"]) {
    for (const e of asList(doc[key])) {
      const entry = asString(e);
      if (!entry) continue;
      const p = resolvePath(dir, entry);
      if (p === void 0) {
        notes.push(`${kpath}: remote or out-of-repository resource "${entry}" is not followed`);
        continue;
      }
      if (tree.files.has(p)) {
        files.add(p);
        res.push(...objectsOfFile(tree, p));
      } else if (isDirectory(tree, p)) {
        res.push(...build(tree, p, here, files, notes));
      } else if (tree.paths.includes(p)) {
        files.add(p);
      } else {
        notes.push(`${kpath}: resource "${entry}" does not exist`);
      }
    }
  }
  for (const e of asList(doc.components)) {
    const entry = asString(e);
    const p = entry === void 0 ? void 0 : resolvePath(dir, entry);
    if (entry === void 0) continue;
    if (p === void 0 || !isDirectory(tree, p)) {
      notes.push(`${kpath}: component "${entry}" is not a directory of this repository; not applied`);
      continue;
    }
    res = build(tree, p, here, files, notes, res);
  }
  if (asList(doc.helmCharts).length) notes.push(`${kpath}: helmCharts are not rendered here`);
  res = applyGenerators(tree, doc, dir, res, files, notes, kpath);
  res = applyPatches(tree, doc, dir, res, files, notes, kpath);
  applyNamespace(doc, res);
  applyNames(doc, res);
  applyLabels(doc, res);
  applyImages(doc, res);
  applyReplicas(doc, res);
  return res;
}
function envLines(text) {
  const out = [];
  for (const line3 of text.split("\n")) {
    const t = line3.trim();
    if (!t || t.startsWith("#")) continue;
    const eq = t.indexOf("=");
    if (eq > 0) out.push([t.slice(0, eq), t.slice(eq + 1)]);
  }
  return out;
}
function applyGenerators(tree, doc, dir, res, files, notes, kpath) {
  const out = [...res];
  asList(doc.configMapGenerator).forEach((g, i) => {
    const m = asMap(g);
    const name = asString(m?.name);
    if (!m || !name) return;
    const data = {};
    const inputs = {};
    for (const l of asList(m.literals)) {
      const s = asString(l);
      const eq = s?.indexOf("=") ?? -1;
      if (s && eq > 0) data[s.slice(0, eq)] = s.slice(eq + 1);
    }
    for (const f of asList(m.files)) {
      const s = asString(f);
      if (!s) continue;
      const eq = s.indexOf("=");
      const key = eq >= 0 ? s.slice(0, eq) : posix.basename(s);
      const path = resolvePath(dir, eq >= 0 ? s.slice(eq + 1) : s);
      const text = path === void 0 ? null : tree.readFile(path);
      if (path === void 0 || text === null) {
        notes.push(`${kpath}: configMapGenerator "${name}" input "${s}" does not exist`);
        continue;
      }
      files.add(path);
      data[key] = text;
      inputs[key] = path;
    }
    for (const e of [...asList(m.envs), ...m.env ? [m.env] : []]) {
      const path = asString(e) && resolvePath(dir, asString(e));
      const text = path ? tree.readFile(path) : null;
      if (!path || text === null) continue;
      files.add(path);
      for (const [k, v] of envLines(text)) data[k] = v;
    }
    const namespace = asString(m.namespace) ?? null;
    const behavior = asString(m.behavior) ?? "create";
    const existing = out.find((r) => kindOf(r.doc) === "ConfigMap" && nameOf(r.doc) === name && (!namespace || namespaceOf(r.doc) === namespace));
    if (existing && (behavior === "merge" || behavior === "replace")) {
      const d = edit(existing);
      d.data = behavior === "merge" ? { ...asMap(d.data) ?? {}, ...data } : data;
      return;
    }
    const generatedDoc = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...namespace ? { namespace } : {} }, data };
    const source = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name,
      namespace,
      ref: objectRef("ConfigMap", namespace, name),
      doc: generatedDoc,
      file: kpath,
      docIndex: 0,
      docPath: [],
      unit: ".",
      generated: { entry: ["configMapGenerator", i], inputs }
    };
    out.push({ source, doc: generatedDoc, cloned: true });
  });
  return out;
}
function loadPatch(tree, entry, files) {
  let text = entry.inline;
  if (entry.file) {
    files.add(entry.file);
    text = tree.readFile(entry.file) ?? void 0;
  }
  if (text === void 0) return [];
  try {
    const docs = [];
    yaml.loadAll(text, (d) => docs.push(d), LOAD_OPTIONS);
    return docs.filter((d) => d !== null && d !== void 0);
  } catch {
    return [];
  }
}
function regexMatch(pattern, value) {
  if (pattern === void 0 || pattern === "") return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return pattern === value;
  }
}
function selectorTerms(selector) {
  const terms = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter(Boolean);
}
function selectorMatches(selector, labels) {
  if (!selector) return true;
  return selectorTerms(selector).every((t) => {
    const set2 = t.match(/^(\S+)\s+(in|notin)\s*\((.*)\)$/);
    if (set2) {
      const values = set2[3].split(",").map((v) => v.trim());
      const value = asString(labels?.[set2[1]]);
      return set2[2] === "in" ? value !== void 0 && values.includes(value) : value === void 0 || !values.includes(value);
    }
    const neq = t.match(/^([^!=]+)!=(.*)$/);
    if (neq) return asString(labels?.[neq[1].trim()]) !== neq[2].trim();
    const eq = t.match(/^([^=]+)==?(.*)$/);
    if (eq) return asString(labels?.[eq[1].trim()]) === eq[2].trim();
    if (t.startsWith("!")) return labels?.[t.slice(1).trim()] === void 0;
    return labels?.[t] !== void 0;
  });
}
function targetMatches(target, r) {
  const [group, version] = (() => {
    const api = asString(r.doc.apiVersion) ?? "";
    const i = api.indexOf("/");
    return i < 0 ? ["", api] : [api.slice(0, i), api.slice(i + 1)];
  })();
  const meta2 = asMap(r.doc.metadata);
  return regexMatch(asString(target.kind), kindOf(r.doc)) && (regexMatch(asString(target.name), nameOf(r.doc)) || regexMatch(asString(target.name), r.source.name)) && regexMatch(asString(target.namespace), namespaceOf(r.doc) ?? "") && regexMatch(asString(target.group), group) && regexMatch(asString(target.version), version) && selectorMatches(asString(target.labelSelector), asMap(meta2?.labels)) && selectorMatches(asString(target.annotationSelector), asMap(meta2?.annotations));
}
function applyPatches(tree, doc, dir, res, files, notes, kpath) {
  let out = res;
  for (const entry of patchEntries(doc, dir)) {
    for (const patch of loadPatch(tree, entry, files)) {
      if (Array.isArray(patch)) {
        if (!entry.target) continue;
        for (const r of out) if (targetMatches(entry.target, r)) applyJson6902(r, patch, notes, kpath);
        continue;
      }
      const p = asMap(patch);
      if (!p) continue;
      const target = entry.target ?? {
        kind: asString(p.kind),
        name: asString(asMap(p.metadata)?.name),
        ...asString(asMap(p.metadata)?.namespace) ? { namespace: asString(asMap(p.metadata)?.namespace) } : {}
      };
      const literal = !entry.target;
      const matches = (r) => literal ? kindOf(r.doc) === target.kind && (nameOf(r.doc) === target.name || r.source.name === target.name) && (!target.namespace || namespaceOf(r.doc) === target.namespace) : targetMatches(target, r);
      if (p.$patch === "delete") {
        out = out.filter((r) => !matches(r));
        continue;
      }
      for (const r of out) {
        if (!matches(r)) continue;
        const body = { ...p };
        if (entry.target) {
          const m = asMap(body.metadata);
          if (m) body.metadata = Object.fromEntries(Object.entries(m).filter(([k]) => k !== "name" && k !== "namespace"));
        }
        delete body.apiVersion;
        delete body.kind;
        r.doc = mergePatch(edit(r), body);
      }
    }
  }
  return out;
}
var MERGE_KEYS = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  ports: "containerPort",
  imagePullSecrets: "name",
  hostAliases: "ip",
  topologySpreadConstraints: "topologyKey",
  webhooks: "name",
  resourceClaims: "name"
};
function mergePatch(target, patch, field) {
  const pm = asMap(patch);
  if (pm) {
    if (pm.$patch === "replace") {
      const { $patch: _, ...rest } = pm;
      return rest;
    }
    const tm = asMap(target) ?? {};
    for (const [k, v] of Object.entries(pm)) {
      if (k.startsWith("$")) continue;
      if (v === null) delete tm[k];
      else tm[k] = k in tm ? mergePatch(tm[k], v, k) : stripDirectives(v);
    }
    return tm;
  }
  if (Array.isArray(patch) && Array.isArray(target)) {
    const key = (field && MERGE_KEYS[field]) ?? (patch.every((p) => asMap(p)?.name !== void 0) && target.every((t) => asMap(t)?.name !== void 0) ? "name" : void 0);
    if (!key) return stripDirectives(patch);
    const out = [...target];
    for (const item of patch) {
      const m = asMap(item);
      const id = m?.[key];
      const at = id === void 0 ? -1 : out.findIndex((t) => asMap(t)?.[key] === id);
      if (m?.$patch === "delete") {
        if (at >= 0) out.splice(at, 1);
      } else if (at >= 0) out[at] = mergePatch(out[at], item);
      else out.push(stripDirectives(item));
    }
    return out;
  }
  return stripDirectives(patch);
}
function stripDirectives(v) {
  const m = asMap(v);
  if (m) return Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith("$")).map(([k, x]) => [k, stripDirectives(x)]));
  if (Array.isArray(v)) return v.map(stripDirectives);
  return v;
}
function pointer(path) {
  return path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~")).map((s) => /^\d+$/.test(s) ? Number(s) : s);
}
function applyJson6902(r, ops, notes, kpath) {
  const doc = edit(r);
  for (const raw of ops) {
    const op = asMap(raw);
    const path = asString(op?.path);
    if (!op || path === void 0) continue;
    const steps = pointer(path);
    const last = steps.pop();
    const parent = steps.length ? getIn(doc, steps) : doc;
    const value = op.from !== void 0 ? structuredClone(getIn(doc, pointer(asString(op.from) ?? ""))) : structuredClone(op.value);
    if (last === void 0 || parent === null || typeof parent !== "object") continue;
    const kind = asString(op.op);
    if (Array.isArray(parent)) {
      const i = last === "-" ? parent.length : Number(last);
      if (!Number.isInteger(i)) continue;
      if (kind === "add" || kind === "copy" || kind === "move") parent.splice(i, 0, value);
      else if (kind === "replace") parent[i] = value;
      else if (kind === "remove") parent.splice(i, 1);
    } else {
      const obj = parent;
      const key = String(last);
      if (kind === "add" || kind === "replace" || kind === "copy" || kind === "move") obj[key] = value;
      else if (kind === "remove") delete obj[key];
    }
    if (kind === "move") {
      const from = pointer(asString(op.from) ?? "");
      const fl = from.pop();
      const fp = from.length ? getIn(doc, from) : doc;
      if (Array.isArray(fp) && typeof fl === "number") fp.splice(fl, 1);
      else if (fp && typeof fp === "object" && fl !== void 0) delete fp[String(fl)];
    }
    if (kind === "test") notes.push(`${kpath}: JSON 6902 "test" operations are not checked here`);
  }
}
function meta(doc) {
  let m = asMap(doc.metadata);
  if (!m) doc.metadata = m = {};
  return m;
}
function applyNamespace(doc, res) {
  const ns = asString(doc.namespace);
  if (!ns) return;
  const sas = new Set(res.filter((r) => kindOf(r.doc) === "ServiceAccount").map((r) => `${namespaceOf(r.doc) ?? ""}/${nameOf(r.doc)}`));
  const svcs = new Set(res.filter((r) => kindOf(r.doc) === "Service").map((r) => `${namespaceOf(r.doc) ?? ""}/${nameOf(r.doc)}`));
  for (const r of res) {
    const kind = kindOf(r.doc);
    if (!isClusterScoped(kind)) meta(edit(r)).namespace = ns;
    if (kind === "RoleBinding" || kind === "ClusterRoleBinding") {
      for (const s of asList(edit(r).subjects)) {
        const m = asMap(s);
        if (!m || m.kind !== "ServiceAccount") continue;
        if (m.name === "default" || sas.has(`${asString(m.namespace) ?? ""}/${asString(m.name)}`)) m.namespace = ns;
      }
    }
    if (kind === "ValidatingWebhookConfiguration" || kind === "MutatingWebhookConfiguration") {
      const inUnit = (w) => {
        const svc = webhookService(w);
        return !!svc && svcs.has(`${asString(svc.namespace) ?? ""}/${asString(svc.name)}`);
      };
      if (!asList(r.doc.webhooks).some(inUnit)) continue;
      for (const w of asList(edit(r).webhooks)) if (inUnit(w)) webhookService(w).namespace = ns;
    }
  }
}
function webhookService(w) {
  return asMap(asMap(asMap(w)?.clientConfig)?.service);
}
function applyNames(doc, res) {
  const prefix = asString(doc.namePrefix) ?? "";
  const suffix = asString(doc.nameSuffix) ?? "";
  if (!prefix && !suffix) return;
  const renamed = /* @__PURE__ */ new Map();
  for (const r of res) {
    const kind = kindOf(r.doc);
    if (kind === "Namespace" || kind === "CustomResourceDefinition") continue;
    const old = nameOf(r.doc);
    if (!old) continue;
    const next = `${prefix}${old}${suffix}`;
    meta(edit(r)).name = next;
    renamed.set(`${kind}/${old}`, next);
  }
  const rename = (kind, name) => typeof name === "string" ? renamed.get(`${kind}/${name}`) : void 0;
  for (const r of res) {
    const kind = kindOf(r.doc);
    const specPath = podSpecPath(kind);
    if (specPath) {
      const spec = asMap(getIn(edit(r), specPath));
      if (spec) renamePodRefs(spec, rename);
    }
    if (kind === "RoleBinding" || kind === "ClusterRoleBinding") {
      const d = edit(r);
      const ref = asMap(d.roleRef);
      const n = ref && rename(asString(ref.kind) ?? "", ref.name);
      if (ref && n) ref.name = n;
      for (const s of asList(d.subjects)) {
        const m = asMap(s);
        const sn = m && m.kind === "ServiceAccount" ? rename("ServiceAccount", m.name) : void 0;
        if (m && sn) m.name = sn;
      }
    }
    if (kind === "ValidatingWebhookConfiguration" || kind === "MutatingWebhookConfiguration") {
      for (const w of asList(edit(r).webhooks)) {
        const svc = webhookService(w);
        const n = svc && rename("Service", svc.name);
        if (svc && n) svc.name = n;
      }
    }
  }
}
function renamePodRefs(spec, rename) {
  for (const key of ["serviceAccountName", "serviceAccount"]) {
    const n = rename("ServiceAccount", spec[key]);
    if (n) spec[key] = n;
  }
  for (const v of asList(spec.volumes)) {
    const vol = asMap(v);
    const cm = asMap(vol?.configMap);
    const cmName = cm && rename("ConfigMap", cm.name);
    if (cm && cmName) cm.name = cmName;
    const sec = asMap(vol?.secret);
    const secName = sec && rename("Secret", sec.secretName);
    if (sec && secName) sec.secretName = secName;
    for (const src of asList(asMap(vol?.projected)?.sources)) {
      const pcm = asMap(asMap(src)?.configMap);
      const n = pcm && rename("ConfigMap", pcm.name);
      if (pcm && n) pcm.name = n;
    }
  }
  for (const c of [...asList(spec.containers), ...asList(spec.initContainers)]) {
    const container = asMap(c);
    for (const e of asList(container?.envFrom)) {
      const ref = asMap(asMap(e)?.configMapRef);
      const n = ref && rename("ConfigMap", ref.name);
      if (ref && n) ref.name = n;
    }
    for (const e of asList(container?.env)) {
      const ref = asMap(asMap(asMap(e)?.valueFrom)?.configMapKeyRef);
      const n = ref && rename("ConfigMap", ref.name);
      if (ref && n) ref.name = n;
    }
  }
}
function applyLabels(doc, res) {
  const labels = {};
  for (const [k, v] of Object.entries(asMap(doc.commonLabels) ?? {})) if (asString(v) !== void 0) labels[k] = asString(v);
  for (const l of asList(doc.labels)) for (const [k, v] of Object.entries(asMap(asMap(l)?.pairs) ?? {})) if (asString(v) !== void 0) labels[k] = asString(v);
  const annotations = {};
  for (const [k, v] of Object.entries(asMap(doc.commonAnnotations) ?? {})) if (asString(v) !== void 0) annotations[k] = asString(v);
  if (!Object.keys(labels).length && !Object.keys(annotations).length) return;
  for (const r of res) {
    const d = edit(r);
    const targets = [meta(d)];
    const specPath = podSpecPath(kindOf(d));
    if (specPath) {
      const template = asMap(getIn(d, specPath.slice(0, -1)));
      if (template) targets.push(meta(template));
    }
    for (const m of targets) {
      if (Object.keys(labels).length) m.labels = { ...asMap(m.labels) ?? {}, ...labels };
      if (Object.keys(annotations).length) m.annotations = { ...asMap(m.annotations) ?? {}, ...annotations };
    }
  }
}
function splitImage(image) {
  const at = image.indexOf("@");
  const digest = at >= 0 ? image.slice(at + 1) : "";
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(":");
  const hasTag = colon > rest.lastIndexOf("/");
  return { name: hasTag ? rest.slice(0, colon) : rest, tag: hasTag ? rest.slice(colon + 1) : "", digest };
}
function applyImages(doc, res) {
  const images = asList(doc.images).map(asMap).filter((m) => !!m && !!asString(m.name));
  if (!images.length) return;
  for (const r of res) {
    const specPath = podSpecPath(kindOf(r.doc));
    if (!specPath) continue;
    const spec = asMap(getIn(r.doc, specPath));
    if (!spec) continue;
    const containers = [...asList(spec.containers), ...asList(spec.initContainers)].map(asMap);
    if (!containers.some((c) => images.some((i) => splitImage(asString(c?.image) ?? "").name === asString(i.name)))) continue;
    const editable = asMap(getIn(edit(r), specPath));
    for (const c of [...asList(editable.containers), ...asList(editable.initContainers)]) {
      const container = asMap(c);
      const current = asString(container?.image);
      if (!container || !current) continue;
      const parts = splitImage(current);
      const rule = images.find((i) => asString(i.name) === parts.name);
      if (!rule) continue;
      const name = asString(rule.newName) ?? parts.name;
      const digest = asString(rule.digest);
      const tag = asString(rule.newTag) ?? parts.tag;
      container.image = digest ? `${name}@${digest}` : `${name}${tag ? `:${tag}` : ""}${!asString(rule.newTag) && parts.digest ? `@${parts.digest}` : ""}`;
    }
  }
}
function applyReplicas(doc, res) {
  for (const e of asList(doc.replicas)) {
    const m = asMap(e);
    const name = asString(m?.name);
    const count = Number(m?.count);
    if (!name || !Number.isFinite(count)) continue;
    for (const r of res) {
      if (nameOf(r.doc) !== name && r.source.name !== name) continue;
      const spec = asMap(edit(r).spec);
      if (spec) spec.replicas = count;
    }
  }
}

// src/units.ts
var REST_UNIT = ".";
var UNMAPPED_NAME = "unmapped";
var MAX_UNITS = 500;
function buildRoot(tree, root, unit, recursive) {
  if (kustomizationIn(tree, root) || !recursive) return buildKustomization(tree, root, unit);
  const out = { objects: [], files: /* @__PURE__ */ new Set(), notes: [] };
  const add = (r) => {
    out.objects.push(...r.objects);
    for (const f of r.files) out.files.add(f);
    out.notes.push(...r.notes);
  };
  add(buildKustomization(tree, root, unit));
  for (const d of [...subdirsOf(tree, root)].sort(cmp)) add(buildRoot(tree, d, unit, true));
  return out;
}
function globBase(glob) {
  const scan = import_picomatch.default.scan(glob);
  if (!scan.isGlob) return void 0;
  return scan.base.replace(/\/+$/, "");
}
function reusable(reuse, key, root) {
  const r = reuse?.builds.get(key);
  if (!r || r.notes.some((n) => n.includes("does not exist"))) return void 0;
  const prefix = root ? `${root}/` : "";
  for (const c of reuse.changed) if (r.files.has(c) || c.startsWith(prefix)) return void 0;
  return r;
}
function resolveUnits(tree, clusters, argo, globClusters, reuse) {
  const notes = [];
  const pending = /* @__PURE__ */ new Map();
  const queue = (id, p) => {
    const known = pending.get(id);
    if (known) for (const c of p.clusters) known.clusters.add(c);
    else pending.set(id, p);
  };
  for (const c of clusters) {
    for (const glob of c.paths) {
      const base = globBase(glob);
      if (base === void 0) continue;
      queue(base, { root: base, clusters: /* @__PURE__ */ new Set([c.name]), via: `cluster root ${base || "."}`, recursive: true });
    }
  }
  const built = /* @__PURE__ */ new Map();
  const followGitops = (objects, from) => {
    for (const o of objects) {
      for (const t of gitopsTargets(o, tree, from, argo, notes)) {
        queue(t.root, { root: t.root, clusters: new Set(t.clusters), via: t.via, recursive: t.recursive });
      }
    }
  };
  const settle = () => {
    for (let round = 0; round < 20; round++) {
      let changed = false;
      for (const [id, p] of pending) {
        const clustersNow = [...p.clusters].sort(cmp);
        const prev = built.get(id);
        if (prev && prev.clusters.join() === clustersNow.join()) continue;
        if (built.size >= MAX_UNITS && !prev) {
          notes.push(`more than ${MAX_UNITS} deployable units; ${p.via} and later ones are not followed`);
          continue;
        }
        const key = `${id}\0${p.recursive}`;
        const r = prev?.r ?? reusable(reuse, key, p.root) ?? buildRoot(tree, p.root, id || "/", p.recursive);
        reuse?.builds.set(key, r);
        built.set(id, { p, r, clusters: clustersNow });
        followGitops(r.objects, clustersNow);
        changed = true;
      }
      if (!changed) break;
    }
  };
  const reached = () => {
    const files = /* @__PURE__ */ new Set();
    for (const { r } of built.values()) for (const f of r.files) files.add(f);
    return files;
  };
  settle();
  const followed = /* @__PURE__ */ new Set();
  const gitops = tree.objects.filter(isGitopsObject);
  for (let round = 0; round < 10 && gitops.length; round++) {
    const files = reached();
    const fresh = gitops.filter((o) => !files.has(o.file) && !followed.has(o));
    if (!fresh.length) break;
    for (const o of fresh) {
      followed.add(o);
      const from = globClusters(o.file);
      followGitops([o], from.length ? from : [UNMAPPED_NAME]);
    }
    settle();
  }
  const entries = [...built.entries()];
  const holds2 = (o, u) => o.r.files.size > u.r.files.size && [...u.r.files].every((f) => o.r.files.has(f));
  const kept = entries.filter(([id, u]) => !u.clusters.every((c) => entries.some(([otherId, o]) => otherId !== id && o.clusters.includes(c) && holds2(o, u))));
  const units = kept.map(([id, u]) => ({ id: id || "/", root: u.p.root, clusters: u.clusters, objects: u.r.objects, files: u.r.files, via: u.p.via })).sort((a, b) => cmp(a.id, b.id));
  for (const [, u] of kept) notes.push(...u.r.notes);
  const fileClusters = /* @__PURE__ */ new Map();
  for (const u of units) for (const f of u.files) for (const c of u.clusters) (fileClusters.get(f) ?? fileClusters.set(f, /* @__PURE__ */ new Set()).get(f)).add(c);
  const rest = [];
  for (const [path, f] of tree.files) if (!fileClusters.has(path)) rest.push(...f.objects);
  return { units, objects: [...units.flatMap((u) => u.objects), ...rest], fileClusters: freeze(fileClusters), notes: dedupe(notes) };
}
function freeze(m) {
  return new Map([...m].map(([k, v]) => [k, [...v].sort(cmp)]));
}
function dedupe(notes) {
  return [...new Set(notes)];
}
function isGitopsObject(o) {
  return o.kind === "Kustomization" && o.apiVersion.startsWith("kustomize.toolkit.fluxcd.io/") || (o.kind === "Application" || o.kind === "ApplicationSet") && o.apiVersion.startsWith("argoproj.io/");
}
function gitopsTargets(o, tree, from, argo, notes) {
  if (!isGitopsObject(o)) return [];
  const where2 = `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name} (${o.file})`;
  if (o.kind === "Kustomization") {
    const path = asString(getIn(o.doc, ["spec", "path"])) ?? "";
    const root = resolvePath("", path);
    if (root === void 0) return [];
    if (!exists(tree, root)) {
      notes.push(`${where2}: spec.path "${path}" is not in this repository; not followed`);
      return [];
    }
    if (asList(getIn(o.doc, ["spec", "patches"])).length) notes.push(`${where2}: spec.patches are not applied here`);
    return [{ root, clusters: from, via: `Flux ${where2}`, recursive: true }];
  }
  if (o.kind === "Application") return applicationTargets(asMap(o.doc.spec), {}, where2, tree, from, argo, notes);
  const spec = asMap(o.doc.spec);
  const template = asMap(asMap(spec?.template)?.spec);
  if (!template) return [];
  const out = [];
  for (const params of generatorParams(asList(spec?.generators), tree, argo, where2, notes)) {
    out.push(...applicationTargets(template, params, `ApplicationSet ${where2}`, tree, from, argo, notes));
  }
  return out;
}
function exists(tree, root) {
  return dirIndex(tree).dirs.has(root);
}
function render(text, params) {
  if (text === void 0) return void 0;
  let missing = false;
  const out = text.replace(/\{\{-?\s*\.?([A-Za-z0-9_.[\]-]+)\s*-?\}\}/g, (_, key) => {
    const v = params[key];
    if (v === void 0) missing = true;
    return v ?? "";
  });
  return missing ? void 0 : out;
}
function applicationTargets(spec, params, where2, tree, from, argo, notes) {
  if (!spec) return [];
  const dest = asMap(spec.destination);
  const name = render(asString(dest?.name), params);
  const server2 = render(asString(dest?.server), params);
  const clusters = argo.byDestination(name, server2) ?? from;
  const sources = [asMap(spec.source), ...asList(spec.sources).map(asMap)].filter((s) => !!s);
  const out = [];
  for (const s of sources) {
    const rawPath = asString(s.path);
    if (rawPath === void 0) {
      if (asString(s.chart)) notes.push(`${where2}: Helm chart source "${asString(s.chart)}" is not rendered here`);
      continue;
    }
    const path = render(rawPath, params);
    const root = path === void 0 ? void 0 : resolvePath("", path);
    if (root === void 0 || !exists(tree, root)) {
      notes.push(`${where2}: source path "${path ?? rawPath}" is not in this repository; not followed`);
      continue;
    }
    if (tree.files.has(root ? `${root}/Chart.yaml` : "Chart.yaml")) {
      notes.push(`${where2}: Helm chart at ${root} is not rendered here`);
      continue;
    }
    const recursive = getIn(s, ["directory", "recurse"]) === true;
    out.push({ root, clusters, via: `Argo CD ${where2}`, recursive });
  }
  return out;
}
function generatorParams(generators, tree, argo, where2, notes) {
  const out = [];
  for (const g of generators) out.push(...oneGenerator(asMap(g), tree, argo, where2, notes));
  return out;
}
function flatten(value, prefix = "", into = {}) {
  const m = asMap(value);
  if (m) for (const [k, v] of Object.entries(m)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  else {
    const s = asString(value);
    if (s !== void 0 && prefix) into[prefix] = s;
  }
  return into;
}
function oneGenerator(g, tree, argo, where2, notes) {
  if (!g) return [];
  if (g.list) return asList(asMap(g.list)?.elements).map((e) => flatten(e));
  if (g.clusters !== void 0) return argo.bySelector(asMap(asMap(g.clusters)?.selector)).map((c) => c.params);
  if (g.git) {
    const git2 = asMap(g.git);
    const dirs = asList(git2?.directories).map(asMap).filter((d) => !!d);
    if (!dirs.length) {
      notes.push(`${where2}: git files generators are not followed here`);
      return [];
    }
    const include = dirs.filter((d) => d.exclude !== true).map((d) => (0, import_picomatch.default)(asString(d.path) ?? "", { dot: false }));
    const exclude = dirs.filter((d) => d.exclude === true).map((d) => (0, import_picomatch.default)(asString(d.path) ?? ""));
    return [...dirIndex(tree).dirs].filter((d) => d !== "" && include.some((m) => m(d)) && !exclude.some((m) => m(d))).sort(cmp).map((d) => {
      const segments = d.split("/");
      const params = { path: d, "path.path": d, "path.basename": posix2.basename(d), "path.basenameNormalized": posix2.basename(d).replace(/[^a-zA-Z0-9-]/g, "-") };
      segments.forEach((s, i) => {
        params[`path[${i}]`] = s;
        params[`path.segments[${i}]`] = s;
      });
      return params;
    });
  }
  const combine = asMap(g.matrix) ?? asMap(g.merge);
  if (combine) {
    const [a, b] = asList(combine.generators).map((x) => oneGenerator(asMap(x), tree, argo, where2, notes));
    if (!a || !b) return a ?? [];
    if (g.merge) return a;
    return a.flatMap((x) => b.map((y) => ({ ...x, ...y })));
  }
  notes.push(`${where2}: generator ${Object.keys(g).join(", ")} is not followed here`);
  return [];
}

// src/fleet.ts
var UNMAPPED = "unmapped";
var ASSUMED_NODES = { preProduction: 100, production: 5e3 };
var INFERRED_STAGES = [
  { stage: "dev", tokens: ["dev", "development", "sandbox"] },
  { stage: "test", tokens: ["test", "testing", "qa"] },
  { stage: "staging", tokens: ["stage", "staging", "stg", "preprod", "uat"] },
  { stage: "canary", tokens: ["canary", "pilot", "early", "ring0"] },
  { stage: "prod", tokens: ["prod", "production", "prd", "live"] }
];
var LAYOUT_DIRS = ["clusters", "environments", "envs", "overlays"];
function inferStage(name) {
  const tokens = name.toLowerCase().split(/[-_.]/);
  for (let i = 0; i < INFERRED_STAGES.length; i++) {
    if (INFERRED_STAGES[i].tokens.some((t) => tokens.includes(t))) return { stage: INFERRED_STAGES[i].stage, index: i };
  }
  return { stage: "prod", index: INFERRED_STAGES.length - 1 };
}
function layoutClusters(trees) {
  const found = /* @__PURE__ */ new Map();
  for (const tree of trees) {
    for (const p of tree.paths) {
      const parts = p.split("/");
      const i = parts.findIndex((part, j) => j + 2 < parts.length && LAYOUT_DIRS.includes(part));
      if (i < 0) continue;
      const dir = parts.slice(0, i + 2).join("/");
      let dirs = found.get(parts[i + 1]);
      if (!dirs) found.set(parts[i + 1], dirs = /* @__PURE__ */ new Set());
      dirs.add(dir);
    }
  }
  return [...found].map(([name, dirs]) => ({ name, dirs: [...dirs].sort() })).sort((a, b) => a.name < b.name ? -1 : 1);
}
function resolveClusters(config, trees) {
  const stages = config.rollout.stages;
  const lastIndex = stages ? stages.length - 1 : INFERRED_STAGES.length - 1;
  const make = (name, paths, stageName, nodes, kubernetesVersion) => {
    let stage;
    let stageIndex;
    if (stages) {
      const wanted = stageName ?? stages.find((s) => inferStage(name).stage === inferStage(s).stage) ?? stages[lastIndex];
      stage = wanted;
      stageIndex = stages.indexOf(wanted);
    } else {
      const inferred = inferStage(stageName ?? name);
      stage = stageName ?? inferred.stage;
      stageIndex = inferred.index;
    }
    const prod = stageIndex === lastIndex;
    return {
      name,
      nodes: nodes ?? (prod ? ASSUMED_NODES.production : ASSUMED_NODES.preProduction),
      nodesAssumed: nodes === void 0,
      stage,
      stageIndex,
      paths,
      ...kubernetesVersion ? { kubernetesVersion } : {}
    };
  };
  const clusters = config.fleet.clusters.length ? config.fleet.clusters.map((c) => make(c.name, c.paths ?? [], c.stage, c.nodes, c.kubernetesVersion)) : layoutClusters(trees).map((c) => make(c.name, c.dirs.map((d) => `${d}/**`), void 0, void 0));
  return clusters.sort((a, b) => a.stageIndex - b.stageIndex || cmp(a.name, b.name));
}
function unmappedCluster(config) {
  const stages = config.rollout.stages;
  return {
    name: UNMAPPED,
    nodes: ASSUMED_NODES.production,
    nodesAssumed: true,
    stage: stages ? stages[stages.length - 1] : "prod",
    stageIndex: stages ? stages.length - 1 : INFERRED_STAGES.length - 1,
    paths: [],
    implicit: true
  };
}
function argoMatcher(config, clusters) {
  const configured = new Map(config.fleet.clusters.map((c) => [c.name, c]));
  const entries = clusters.map((c) => {
    const argo = configured.get(c.name)?.argocd;
    return { cluster: c.name, name: argo?.name ?? c.name, server: argo?.server, labels: argo?.labels ?? {} };
  });
  return {
    byDestination(name, server2) {
      const hit = entries.filter((e) => name !== void 0 && e.name === name || server2 !== void 0 && e.server === server2);
      return hit.length ? hit.map((e) => e.cluster) : void 0;
    },
    bySelector(selector) {
      return entries.filter((e) => matchesSelector(selector ?? {}, e.labels)).map((e) => ({
        cluster: e.cluster,
        params: { name: e.name, nameNormalized: e.name, server: e.server ?? "", ...Object.fromEntries(Object.entries(e.labels).map(([k, v]) => [`metadata.labels.${k}`, v])) }
      }));
    }
  };
}
function buildFleet(config, base, head, changes) {
  const clusters = resolveClusters(config, [base, head]);
  const matchers = clusters.map((c) => ({ name: c.name, match: (0, import_picomatch2.default)(c.paths, { dot: true }) }));
  const globClusters = (path) => matchers.filter((m) => m.match(path)).map((m) => m.name);
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const unmapped = unmappedCluster(config);
  const argo = argoMatcher(config, clusters);
  const changed = new Set(changes ? changes.files.flatMap((f) => f.oldPath ? [f.path, f.oldPath] : [f.path]) : [""]);
  const reuse = { builds: /* @__PURE__ */ new Map(), changed };
  const head_ = resolveUnits(head, clusters, argo, globClusters, reuse);
  const sides = { base: resolveUnits(base, clusters, argo, globClusters, reuse), head: head_ };
  const memo = { base: /* @__PURE__ */ new Map(), head: /* @__PURE__ */ new Map() };
  const unitClusters = {
    base: new Map(sides.base.units.map((u) => [u.id, u.clusters])),
    head: new Map(sides.head.units.map((u) => [u.id, u.clusters]))
  };
  const clustersOfFile = (path, side = "head") => {
    let r = memo[side].get(path);
    if (!r) {
      const names = /* @__PURE__ */ new Set([...globClusters(path), ...sides[side].fileClusters.get(path) ?? []]);
      r = names.size ? [...names].sort(cmp) : [UNMAPPED];
      memo[side].set(path, r);
    }
    return r;
  };
  const fleet = {
    clusters,
    totalNodes: clusters.reduce((n, c) => n + c.nodes, 0),
    cluster: (name) => byName.get(name) ?? (name === UNMAPPED ? unmapped : void 0),
    clustersOfFile,
    clustersOfObject: (o, side = "head") => {
      const fromUnit = unitClusters[side].get(o.unit);
      if (!fromUnit) return clustersOfFile(o.file, side);
      return fromUnit;
    },
    isDeployed: (path, side = "head") => sides[side].fileClusters.has(path) || ((side === "base" ? base : head).files.get(path)?.objects.length ?? 0) > 0
  };
  return {
    fleet,
    base: { ...base, objects: sides.base.objects },
    head: { ...head, objects: sides.head.objects },
    notes: [.../* @__PURE__ */ new Set([...sides.base.notes, ...sides.head.notes])]
  };
}

// src/corefile.ts
var MAX_TEXT = 1e6;
var MAX_DEPTH3 = 32;
function tokenize(input) {
  const text = input.length > MAX_TEXT ? input.slice(0, MAX_TEXT) : input;
  const out = [];
  let line3 = 0;
  let i = text.charCodeAt(0) === 65279 ? 1 : 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\n") {
      line3++;
      i++;
      continue;
    }
    if (ch === " " || ch === "	" || ch === "\r" || ch === "\f" || ch === "\v") {
      i++;
      continue;
    }
    if (ch === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (ch === '"') {
      const start = line3;
      let val = "";
      i++;
      while (i < text.length) {
        const c = text[i];
        if (c === "\\" && text[i + 1] === '"') {
          val += '"';
          i += 2;
          continue;
        }
        if (c === '"') {
          i++;
          break;
        }
        if (c === "\n") line3++;
        val += c;
        i++;
      }
      out.push({ text: val, line: start, end: line3, quoted: true });
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s#]/.test(text[j])) j++;
    out.push({ text: text.slice(i, j), line: line3, end: line3, quoted: false });
    i = j;
  }
  return out;
}
var isOpen = (t) => t !== void 0 && !t.quoted && t.text === "{";
var isClose = (t) => t !== void 0 && !t.quoted && t.text === "}";
var Parser = class {
  constructor(tokens) {
    this.tokens = tokens;
  }
  tokens;
  pos = 0;
  peek() {
    return this.tokens[this.pos];
  }
  /** True when the next token starts on the line where `prev` ends. */
  sameLine(prev) {
    const t = this.peek();
    return t !== void 0 && t.line === prev.end;
  }
  /** Directives until the matching `}` (consumed) or the end of the text. */
  body(depth) {
    const out = [];
    for (; ; ) {
      const t = this.peek();
      if (!t) return out;
      if (isClose(t)) {
        this.pos++;
        if (depth > 0) return out;
        continue;
      }
      if (isOpen(t) && depth < MAX_DEPTH3) {
        this.pos++;
        out.push(...this.body(depth + 1));
        continue;
      }
      this.pos++;
      const args = [];
      let last = t;
      let block;
      while (this.sameLine(last)) {
        const a = this.peek();
        if (isClose(a)) break;
        if (isOpen(a) && depth < MAX_DEPTH3) {
          this.pos++;
          block = this.body(depth + 1);
          break;
        }
        args.push(a.text);
        last = a;
        this.pos++;
      }
      out.push({ name: t.text, args, line: t.line, ...block ? { block } : {} });
    }
  }
  corefile() {
    const servers = [];
    for (; ; ) {
      let t = this.peek();
      while (t && isClose(t)) {
        this.pos++;
        t = this.peek();
      }
      if (!t) break;
      if (isOpen(t)) {
        this.pos++;
        servers.push(server([], this.body(1), t.line));
        continue;
      }
      const keys = [];
      let last = t;
      keys.push(t.text);
      this.pos++;
      for (; ; ) {
        const n = this.peek();
        if (!n || isOpen(n) || isClose(n)) break;
        if (!(n.line === last.end || last.text.endsWith(","))) break;
        keys.push(n.text);
        last = n;
        this.pos++;
      }
      if (isOpen(this.peek())) {
        this.pos++;
        servers.push(server(keys, this.body(1), t.line));
      } else {
        servers.push(server(keys, this.body(0), t.line));
      }
    }
    return { servers };
  }
};
function normalizeKey(key) {
  let k = key.trim().toLowerCase().replace(/,+$/, "");
  if (k.startsWith("dns://")) k = k.slice("dns://".length);
  if (/^[a-z0-9+.-]+:\/\//.test(k) || /^\(.*\)$/.test(k)) return k;
  const m = /^([\s\S]*?)(?::(\d+))?$/.exec(k);
  let zone = m[1];
  if (zone.length > 1 && zone.endsWith(".")) zone = zone.slice(0, -1);
  if (zone === "") zone = ".";
  return `${zone}:${m[2] ?? "53"}`;
}
function server(rawKeys, directives, line3) {
  const keys = rawKeys.flatMap((k) => k.split(",")).filter((k) => k !== "");
  const snippet2 = keys.length === 1 && /^\(.*\)$/.test(keys[0]);
  const id = [...new Set(keys.map(normalizeKey))].sort().join(" ");
  return { keys, id, snippet: snippet2, directives, line: line3 };
}
var parsedCorefiles = /* @__PURE__ */ new Map();
function remember(cache2, text, make) {
  const known = cache2.get(text);
  if (known !== void 0) return known;
  const value = make();
  if (cache2.size > 1024) cache2.clear();
  cache2.set(text, value);
  return value;
}
function parseCorefile(text) {
  return remember(parsedCorefiles, text, () => new Parser(tokenize(text)).corefile());
}
function directiveOf(directives, name) {
  return directives.find((d) => d.name.toLowerCase() === name);
}
var CACHE_DEFAULT_SUCCESS_TTL = 3600;
var CACHE_DEFAULT_DENIAL_TTL = 1800;
var CACHE_DEFAULT_STALE = 3600;
function positiveInt(s) {
  if (s === void 0 || !/^\+?\d+$/.test(s)) return void 0;
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : void 0;
}
function goDuration(s) {
  if (s === void 0) return void 0;
  if (s === "0") return 0;
  const units = { ns: 1e-9, us: 1e-6, \u00B5s: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return void 0;
    total += Number(m[1]) * units[m[2]];
    i = re.lastIndex;
  }
  return i > 0 ? total : void 0;
}
function cacheSettings(d) {
  let success = CACHE_DEFAULT_SUCCESS_TTL;
  let denial = CACHE_DEFAULT_DENIAL_TTL;
  let stale = 0;
  let successLine = d.line;
  let denialLine = d.line;
  const ttl = positiveInt(d.args[0]);
  if (ttl !== void 0) success = denial = ttl;
  for (const sub of d.block ?? []) {
    const name = sub.name.toLowerCase();
    const value = positiveInt(sub.args[1]);
    if (name === "success" && value !== void 0) {
      success = value;
      successLine = sub.line;
    } else if (name === "denial" && value !== void 0) {
      denial = value;
      denialLine = sub.line;
    } else if (name === "serve_stale") {
      stale = sub.args.length === 0 ? CACHE_DEFAULT_STALE : goDuration(sub.args[0]) ?? CACHE_DEFAULT_STALE;
    }
  }
  return { success, denial, stale, line: success >= denial ? successLine : denialLine };
}
function cacheTtlOf(corefileText) {
  let max;
  for (const s of parseCorefile(corefileText).servers) {
    const d = directiveOf(s.directives, "cache");
    if (!d) continue;
    const c = cacheSettings(d);
    max = Math.max(max ?? 0, c.success, c.denial);
  }
  return max;
}
function serveStaleOf(corefileText) {
  let max = 0;
  for (const s of parseCorefile(corefileText).servers) {
    const d = directiveOf(s.directives, "cache");
    if (d) max = Math.max(max, cacheSettings(d).stale);
  }
  return max;
}

// src/agents/workloads.ts
var INFRA_NAME = /^(kube-proxy(-.+)?|calico-node|canal|cilium|cilium-agent|aws-node|kube-flannel(-ds(-.+)?)?|flannel|antrea-agent(-windows)?|weave-net|kube-router|kube-ovn-cni|ovnkube-node|kube-multus-ds(-.+)?)$/;
var INFRA_IMAGE = [
  /kube-proxy/,
  /(^|\/)calico\/node([:@]|$)/,
  /(^|\/)cilium\/cilium([:@]|$)/,
  /amazon-k8s-cni/,
  /(^|\/)flannel([:@]|$)/,
  /(^|\/)antrea-(agent|ubuntu)[\w-]*([:@]|$)/,
  /(^|\/)weave-kube([:@]|$)/,
  /(^|\/)kube-router([:@]|$)/
];
function perNode(o) {
  if (o.kind === "DaemonSet") return "DaemonSet";
  const mode = asString(getIn(o.doc, ["spec", "mode"]));
  if (o.kind === "OpenTelemetryCollector" && o.apiVersion.startsWith("opentelemetry.io/") && mode === "daemonset") return "OpenTelemetryCollector";
  if (o.kind === "PrometheusAgent" && o.apiVersion.startsWith("monitoring.coreos.com/") && mode === "DaemonSet") return "PrometheusAgent";
  return void 0;
}
function isNodeInfrastructure(o) {
  if (INFRA_NAME.test(o.name)) return true;
  for (const labels of [getIn(o.doc, ["metadata", "labels"]), getIn(o.doc, ["spec", "template", "metadata", "labels"])]) {
    const l = stringMap(labels);
    for (const key of ["k8s-app", "app.kubernetes.io/name"]) if (l[key] !== void 0 && INFRA_NAME.test(l[key])) return true;
  }
  const podSpec = getIn(o.doc, ["spec", "template", "spec"]);
  for (const field of ["containers", "initContainers"]) {
    for (const c of asList(getIn(podSpec, [field]))) {
      const image = asString(getIn(c, ["image"]));
      if (image && INFRA_IMAGE.some((re) => re.test(image))) return true;
    }
  }
  return false;
}

// src/critical.ts
var DNS_CONFIGMAPS = /* @__PURE__ */ new Set(["coredns", "coredns-custom"]);
function isClusterDnsConfigMap(o) {
  if (o.kind !== "ConfigMap") return false;
  if (o.namespace !== null && o.namespace !== "kube-system") return false;
  return DNS_CONFIGMAPS.has(o.name);
}

// src/types.ts
var SEVERITIES = ["low", "medium", "high", "critical"];
var LEVELS = ["none", ...SEVERITIES];
function levelRank(level) {
  return LEVELS.indexOf(level);
}

// src/score.ts
var SEVERITY_WEIGHT = { low: 0.05, medium: 0.2, high: 0.5, critical: 0.85 };
var MIN_REACH = 0.25;
function levelOf(findings) {
  let level = "none";
  for (const f of findings) if (!f.suppressed && levelRank(f.severity) > levelRank(level)) level = f.severity;
  return level;
}
function reach(clusters, fleet) {
  let nodes = 0;
  for (const name of clusters) {
    if (name === UNMAPPED) return 1;
    nodes += fleet.cluster(name)?.nodes ?? 0;
  }
  const share = fleet.totalNodes > 0 ? nodes / fleet.totalNodes : 1;
  return Math.max(MIN_REACH, Math.min(1, share));
}
function scoreOf(findings, fleet) {
  const groups = /* @__PURE__ */ new Map();
  let anonymous = 0;
  for (const f of findings) {
    if (f.suppressed) continue;
    const id = f.resource ?? `\0${anonymous++}`;
    const g = groups.get(id);
    if (!g) groups.set(id, { severity: f.severity, clusters: new Set(f.clusters) });
    else {
      if (levelRank(f.severity) > levelRank(g.severity)) g.severity = f.severity;
      for (const c of f.clusters) g.clusters.add(c);
    }
  }
  let safe = 1;
  for (const g of groups.values()) safe *= 1 - SEVERITY_WEIGHT[g.severity] * reach(g.clusters, fleet);
  return Math.round(100 * (1 - safe));
}
function exitCodeFor(level, failOn) {
  if (failOn === "none" || level === "none") return 0;
  return levelRank(level) >= levelRank(failOn) ? 1 : 0;
}

// src/engine.ts
var IGNORE_ANNOTATION = "blast-radius.dev/ignore";
function orderRules(rules) {
  const done = /* @__PURE__ */ new Set();
  const out = [];
  const visiting = /* @__PURE__ */ new Set();
  const visit = (r) => {
    if (done.has(r)) return;
    if (visiting.has(r)) throw new Error(`rule ${r.meta.id} is part of a meta.after cycle`);
    visiting.add(r);
    for (const dep of r.meta.after ?? []) for (const d of rules) if (d !== r && (d.meta.id === dep || d.meta.family === dep)) visit(d);
    visiting.delete(r);
    done.add(r);
    out.push(r);
  };
  [...rules].sort((a, b) => cmp(a.meta.id, b.meta.id)).forEach(visit);
  return out;
}
function ignoresOf(object) {
  const annotations = asMap(asMap(object?.doc.metadata)?.annotations);
  const value = asString(annotations?.[IGNORE_ANNOTATION]);
  if (!value) return void 0;
  const sep = value.indexOf("--");
  const ids = (sep >= 0 ? value.slice(0, sep) : value).split(",").map((s) => s.trim()).filter(Boolean);
  const reason = sep >= 0 ? value.slice(sep + 2).trim() : "";
  return { ids, reason };
}
function mergeAcrossUnits(found) {
  const byId = /* @__PURE__ */ new Map();
  for (const p of found) {
    const f = p.finding;
    const source = p.raw.at?.object.source ?? p.raw.at?.object;
    const id = [f.ruleId, f.resource, f.key, f.severity, f.message, f.file, source ? `${source.file}#${source.docIndex}` : "", f.suppressed].join("\0");
    const known = byId.get(id);
    if (!known) byId.set(id, p);
    else known.finding.clusters = [.../* @__PURE__ */ new Set([...known.finding.clusters, ...f.clusters])].sort(cmp);
  }
  return [...byId.values()];
}
function runRule(rule, make, notes) {
  const found = [];
  try {
    const ctx = make((f) => found.push(f));
    rule.check(ctx);
  } catch (e) {
    notes.push(`internal error: rule ${rule.meta.id} failed (${errorMessage(e)}); its findings are missing from this report`);
  }
  return found;
}
function fileOf(object, trees) {
  const source = object.source ?? object;
  for (const t of trees) {
    const f = t.files.get(source.file);
    if (f && f.objects.includes(source)) return f;
  }
  return void 0;
}
function generatedInput(at) {
  const o = at && (at.object.source ?? at.object);
  const key = at?.path?.[0] === "data" ? at.path[1] : void 0;
  return o?.generated && typeof key === "string" ? o.generated.inputs[key] : void 0;
}
function lineFor(p, trees) {
  const at = p.raw.at;
  if (!at) return p.raw.line ?? (p.raw.file ? 1 : null);
  const source = at.object.source ?? at.object;
  if (source.generated) {
    if (generatedInput(at)) return (at.innerLine ?? 0) + 1;
    const k = p.tree.files.get(source.file) ?? trees.map((t) => t.files.get(source.file)).find(Boolean);
    return k ? lineOf(k.text, 0, source.generated.entry) : 1;
  }
  const file = fileOf(at.object, [p.tree, ...trees]);
  if (!file) return 1;
  const o = at.object.source ?? at.object;
  const identify = (doc) => {
    const d = asMap(doc);
    return asString(d?.kind) === o.kind && asString(asMap(d?.metadata)?.name) === o.name;
  };
  return lineOf(file.text, o.docIndex, [...o.docPath, ...at.path ?? []], at.innerLine, o.docPath.length ? void 0 : identify, file.docs.length);
}
function analyze(input) {
  const started = input.startedAt ?? Date.now();
  const { changes, config } = input;
  const { fleet, base, head, notes: unitNotes } = buildFleet(config, input.base, input.head, changes);
  const notes = [...input.notes ?? [], ...unitNotes];
  const labels = new Set(input.labels ?? []);
  const rules = orderRules(input.rules).filter((r) => config.rules[r.meta.id] !== "off");
  const pending = [];
  const made = { base: [], head: [] };
  const priorFor = (rule, side) => made[side].filter((p) => (rule.meta.after ?? []).some((a) => a === p.rule.id || a === p.rule.family)).filter((p) => !p.finding.suppressed).map((p) => p.finding);
  const finalize = (rule, raw, side, tree) => {
    const setting = config.rules[rule.id];
    const severity = typeof setting === "object" && setting.severity || raw.severity || rule.severity;
    const object = raw.at?.object;
    const subject = raw.about ?? object;
    const clusters = [...raw.clusters ?? (subject ? fleet.clustersOfObject(subject, side) : raw.file ? fleet.clustersOfFile(raw.file, side) : [])].sort(cmp);
    const finding = {
      ruleId: rule.id,
      family: rule.family,
      severity,
      message: raw.message,
      remediation: raw.remediation ?? rule.remediation,
      file: generatedInput(raw.at) ?? object?.file ?? raw.file ?? null,
      line: null,
      resource: subject?.ref ?? null,
      clusters,
      suppressed: false,
      suppressedBy: null,
      key: raw.key,
      ...raw.data ? { data: raw.data } : {}
    };
    const ignore = ignoresOf(subject) ?? ignoresOf(object);
    if (ignore && ignore.ids.some((id) => id === rule.id || id === rule.family || id === "*")) {
      finding.suppressed = true;
      finding.suppressedBy = `annotation ${IGNORE_ANNOTATION}${ignore.reason ? `: ${ignore.reason}` : " (no reason given)"}`;
    }
    return { rule, raw, side, tree, finding };
  };
  for (const rule of rules) {
    if (rule.meta.type === "state") {
      const bySide = { base: [], head: [] };
      for (const tree of [head, base]) {
        const side = tree.side;
        const only = side === "base" ? new Set(bySide.head.map((p) => p.finding.resource ?? "")) : void 0;
        const raws = only?.size === 0 ? [] : runRule(rule, (report2) => ({ side, tree, fleet, config, prior: priorFor(rule, side), report: report2, ...only ? { only } : {} }), notes);
        bySide[side] = mergeAcrossUnits(raws.map((r) => finalize(rule.meta, r, side, tree)));
      }
      const index = /* @__PURE__ */ new Map();
      for (const b of bySide.base) {
        const id = `${b.finding.resource}\0${b.finding.key}`;
        (index.get(id) ?? index.set(id, []).get(id)).push(b.finding);
      }
      const fresh = bySide.head.filter((h) => {
        const olds = index.get(`${h.finding.resource}\0${h.finding.key}`) ?? [];
        const covered = new Set(olds.filter((b) => levelRank(b.severity) >= levelRank(h.finding.severity)).flatMap((b) => b.clusters));
        return !h.finding.clusters.every((c) => covered.has(c));
      });
      made.base.push(...bySide.base);
      made.head.push(...bySide.head);
      pending.push(...fresh);
    } else {
      const raws = runRule(rule, (report2) => ({ base, head, changes, fleet, config, prior: priorFor(rule, "head"), report: report2 }), notes);
      const found = mergeAcrossUnits(raws.map((r) => finalize(rule.meta, r, "head", head)));
      made.head.push(...found);
      pending.push(...found);
    }
  }
  const findings = [...(input.extraFindings ?? []).map((f) => ({ ...f }))];
  for (const p of pending) {
    p.finding.line = lineFor(p, [head, base]);
    findings.push(p.finding);
  }
  if (config.acceptLabel && labels.has(config.acceptLabel)) {
    for (const f of findings) {
      if (!f.suppressed && f.family !== "revert-lock") {
        f.suppressed = true;
        f.suppressedBy = `label ${config.acceptLabel}`;
      }
    }
  }
  sortFindings(findings);
  const errors = collectErrors(changes, head);
  const report = {
    schemaVersion: 1,
    score: scoreOf(findings, fleet),
    level: levelOf(findings),
    findings,
    clusters: reportClusters(fleet, changes, base, head, findings),
    errors,
    notes: [...new Set(notes)].sort(cmp),
    stats: {
      changedFiles: changes.files.length,
      resources: input.head.objects.length,
      unparsedFiles: [...head.files.values()].filter((f) => f.error && !changedPaths(changes).has(f.path)).length,
      durationMs: Date.now() - started
    }
  };
  return { report, fleet };
}
function changedPaths(changes) {
  return new Set(changes.files.filter((f) => f.status !== "deleted").map((f) => f.path));
}
function sortFindings(findings) {
  findings.sort(
    (a, b) => (a.file === null ? 1 : 0) - (b.file === null ? 1 : 0) || cmp(a.file ?? "", b.file ?? "") || (a.line ?? 0) - (b.line ?? 0) || cmp(a.ruleId, b.ruleId) || cmp(a.resource ?? "", b.resource ?? "") || cmp(a.key, b.key) || cmp(a.message, b.message)
  );
}
function collectErrors(changes, head) {
  const errors = [];
  for (const path of changedPaths(changes)) {
    const f = head.files.get(path);
    if (f?.error) errors.push({ file: path, line: f.error.line, message: f.error.message });
  }
  return errors.sort((a, b) => cmp(a.file, b.file) || a.line - b.line);
}
function reportClusters(fleet, changes, base, head, findings) {
  const affected = /* @__PURE__ */ new Set();
  for (const c of changes.files) {
    for (const [tree, path] of [[head, c.path], [base, c.oldPath ?? c.path]]) {
      const f = tree.files.get(path);
      if (fleet.isDeployed(path, tree.side) || f?.error && tree === head) for (const n of fleet.clustersOfFile(path, tree.side)) affected.add(n);
    }
  }
  for (const f of findings) for (const n of f.clusters) affected.add(n);
  const clusters = [...fleet.clusters];
  if (affected.has(UNMAPPED)) clusters.push(fleet.cluster(UNMAPPED));
  const bake = bakeByCluster(fleet, head);
  return clusters.map((c) => ({
    name: c.name,
    nodes: c.nodes,
    nodesAssumed: c.nodesAssumed,
    stage: c.stage,
    affected: affected.has(c.name),
    ...bake.has(c.name) ? { bakeSeconds: bake.get(c.name) } : {}
  }));
}
function bakeByCluster(fleet, head) {
  const out = /* @__PURE__ */ new Map();
  for (const o of head.objects) {
    if (o.kind !== "ConfigMap" || o.name !== "coredns" || !isClusterDnsConfigMap(o)) continue;
    const text = asString(asMap(o.doc.data)?.Corefile);
    const ttl = text === void 0 ? void 0 : cacheTtlOf(text);
    if (ttl === void 0) continue;
    const seconds2 = ttl + serveStaleOf(text);
    for (const c of fleet.clustersOfObject(o, "head")) out.set(c, Math.max(out.get(c) ?? 0, seconds2));
  }
  return out;
}
function failOnLevel(flag, config) {
  return flag ?? config.failOn ?? "high";
}

// src/git.ts
import { execFileSync, spawn } from "node:child_process";
var MAX_BUFFER = 2 * 1024 * 1024 * 1024;
function run(repo, args, input) {
  return execFileSync("git", ["-C", repo, ...args], {
    input,
    maxBuffer: MAX_BUFFER,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" }
  });
}
function git(repo, args) {
  try {
    return run(repo, args).toString("utf8");
  } catch (e) {
    const err = e;
    throw new Error((err.stderr?.toString("utf8").trim() || err.message).split("\n")[0]);
  }
}
function assertRepo(repo) {
  try {
    run(repo, ["rev-parse", "--git-dir"]);
  } catch {
    throw new UsageError(`${repo} is not a git repository`);
  }
}
function resolveCommit(repo, ref, what) {
  try {
    return run(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).toString("utf8").trim();
  } catch {
    throw new UsageError(`${what} ref "${ref}" does not exist in ${repo} (fetch it, or pass --${what} with a branch or commit that does)`);
  }
}
function defaultBranch(repo) {
  try {
    return run(repo, ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"]).toString("utf8").trim();
  } catch {
    for (const b of ["main", "master", "origin/main", "origin/master"]) {
      try {
        run(repo, ["rev-parse", "--verify", "--quiet", `${b}^{commit}`]);
        return b;
      } catch {
      }
    }
  }
  throw new UsageError(`cannot tell the default branch of ${repo}: pass --base`);
}
function mergeBase(repo, a, b) {
  try {
    return run(repo, ["merge-base", a, b]).toString("utf8").trim();
  } catch {
    throw new UsageError(`${a.slice(0, 12)} and ${b.slice(0, 12)} have no common history`);
  }
}
function changedFiles(repo, base, head) {
  const out = run(repo, ["diff", "--no-ext-diff", "--name-status", "-z", "-M", base, head]).toString("utf8");
  const parts = out.split("\0");
  const files = [];
  for (let i = 0; i < parts.length - 1; ) {
    const status = parts[i++];
    const code = status[0];
    if (code === "R") {
      const oldPath = parts[i++];
      const path = parts[i++];
      files.push({ path, status: "renamed", oldPath });
    } else if (code === "C") {
      i++;
      files.push({ path: parts[i++], status: "added" });
    } else {
      const path = parts[i++];
      files.push({ path, status: code === "A" ? "added" : code === "D" ? "deleted" : "modified" });
    }
  }
  return files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}
function parseTree(out) {
  const entries = [];
  for (const rec of out.split("\0")) {
    if (!rec) continue;
    const tab = rec.indexOf("	");
    const [mode, type2, blob, size2] = rec.slice(0, tab).split(/\s+/);
    if (type2 !== "blob") continue;
    entries.push({ path: rec.slice(tab + 1), blob, size: Number(size2) || 0, mode });
  }
  return entries;
}
function runAsync(repo, args) {
  return new Promise((resolve2, reject) => {
    const child = spawn("git", ["-C", repo, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" } });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => code === 0 ? resolve2(Buffer.concat(out)) : reject(new Error(Buffer.concat(err).toString("utf8").trim().split("\n")[0] || `git ${args[0]} exited ${code}`)));
  });
}
async function listTreeAsync(repo, commit) {
  return parseTree((await runAsync(repo, ["ls-tree", "-r", "-l", "-z", "--full-tree", commit])).toString("utf8"));
}
function streamBlobs(repo, blobs, onBlob) {
  const unique = [...new Set(blobs)];
  if (unique.length === 0) return Promise.resolve();
  return new Promise((resolve2, reject) => {
    const child = spawn("git", ["-C", repo, "cat-file", "--batch"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" } });
    let pending = Buffer.alloc(0);
    let failure;
    const err = [];
    child.stdout.on("data", (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let pos = 0;
      for (; ; ) {
        const nl = pending.indexOf(10, pos);
        if (nl < 0) break;
        const [sha2, type2, size2] = pending.toString("utf8", pos, nl).split(" ");
        if (type2 === "missing" || size2 === void 0) {
          pos = nl + 1;
          continue;
        }
        const n = Number(size2);
        if (pending.length < nl + 1 + n + 1) break;
        try {
          onBlob(sha2, pending.subarray(nl + 1, nl + 1 + n));
        } catch (e) {
          failure ??= e;
        }
        pos = nl + 1 + n + 1;
      }
      pending = pos ? Buffer.from(pending.subarray(pos)) : pending;
    });
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (failure) reject(failure);
      else if (code !== 0) reject(new Error(Buffer.concat(err).toString("utf8").trim() || `git cat-file exited ${code}`));
      else resolve2();
    });
    child.stdin.on("error", () => {
    });
    child.stdin.end(unique.join("\n") + "\n");
  });
}

// src/report/json.ts
function renderJson(report) {
  const out = {
    schemaVersion: report.schemaVersion,
    score: report.score,
    level: report.level,
    findings: report.findings.map((f) => ({
      ruleId: f.ruleId,
      family: f.family,
      severity: f.severity,
      message: f.message,
      remediation: f.remediation,
      file: f.file,
      line: f.line,
      resource: f.resource,
      clusters: f.clusters,
      suppressed: f.suppressed,
      suppressedBy: f.suppressedBy
    })),
    clusters: report.clusters.map((c) => ({
      name: c.name,
      nodes: c.nodes,
      nodesAssumed: c.nodesAssumed,
      stage: c.stage,
      affected: c.affected,
      ...c.bakeSeconds !== void 0 ? { bakeSeconds: c.bakeSeconds } : {}
    })),
    errors: report.errors.map((e) => ({ file: e.file, line: e.line, message: e.message })),
    notes: report.notes,
    stats: {
      changedFiles: report.stats.changedFiles,
      resources: report.stats.resources,
      unparsedFiles: report.stats.unparsedFiles,
      durationMs: report.stats.durationMs
    }
  };
  return JSON.stringify(out, null, 2) + "\n";
}

// src/load-model.ts
var RELIST_WINDOW_SECONDS = 60;
var LEASE_GET_PERIOD_SECONDS = 3.2;
var DEFAULT_OBJECT_COUNT = 5e3;
var SEVERITY_RATIOS = { critical: 10, high: 1, medium: 0.25 };
var PER_POD_UNINDEXED = /* @__PURE__ */ new Set(["endpoints", "endpointslices", "events"]);
var NODE_SCALING_KINDS = ["pods", "nodes", "leases", "endpoints", "endpointslices", "events"];
function isNodeScaling(resource2) {
  return NODE_SCALING_KINDS.includes(resource2);
}
function loadParams(config) {
  const d = config.fleet.defaults;
  const a = config.apiServer;
  return {
    podsPerNode: d.podsPerNode,
    objectBytes: d.objectBytes,
    objects: { ...d.objects },
    replicas: a.replicas,
    egressBytesPerSecond: a.egressBytesPerSecond,
    requestsPerSecond: a.requestsPerSecond
  };
}
function objectsOfKind(resource2, scope, nodes, p) {
  const n = Math.max(0, nodes);
  switch (resource2) {
    case "pods":
      return scope === "cluster" ? p.podsPerNode * n : p.podsPerNode;
    case "nodes":
    case "leases":
      return scope === "cluster" ? n : 1;
    default:
      if (PER_POD_UNINDEXED.has(resource2)) return p.podsPerNode * n;
      return p.objects[resource2] ?? DEFAULTS.objects[resource2] ?? DEFAULT_OBJECT_COUNT;
  }
}
function agentLoad(profile, nodes, p) {
  const n = Math.max(0, nodes);
  const scopes2 = /* @__PURE__ */ new Map();
  for (const w of profile.watches) {
    if (scopes2.get(w.resource) !== "cluster") scopes2.set(w.resource, w.scope);
  }
  let objectsPerAgent = 0;
  for (const [resource2, scope] of scopes2) objectsPerAgent += objectsOfKind(resource2, scope, n, p);
  const relistBytes = n * objectsPerAgent * p.objectBytes;
  const relistSeconds = relistBytes / (p.replicas * p.egressBytesPerSecond);
  const ratioRelist = relistSeconds / RELIST_WINDOW_SECONDS;
  const polls = profile.poll ? n * Math.max(0, profile.poll.kinds) * 1e3 / Math.max(1, profile.poll.intervalMs) : 0;
  const leases = profile.leaderElection ? n / LEASE_GET_PERIOD_SECONDS : 0;
  const requestsPerSecond = polls + leases;
  const ratioRate = requestsPerSecond / p.requestsPerSecond;
  const ratio = Math.max(ratioRelist, ratioRate);
  return { nodes: n, objectsPerAgent, relistBytes, relistSeconds, ratioRelist, requestsPerSecond, ratioRate, ratio, severity: severityForRatio(ratio) };
}
function severityForRatio(ratio) {
  if (ratio >= SEVERITY_RATIOS.critical) return "critical";
  if (ratio >= SEVERITY_RATIOS.high) return "high";
  if (ratio >= SEVERITY_RATIOS.medium) return "medium";
  return "low";
}
function formatCount(n) {
  if (!Number.isFinite(n)) return String(n);
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? "-" : "") + s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
var BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  if (bytes < 512) return `${Math.round(Math.max(0, bytes))} B`;
  let unit = 1;
  while (unit < BYTE_UNITS.length - 1 && bytes / 1024 ** (unit + 1) >= 0.5) unit++;
  const v = bytes / 1024 ** unit;
  return `${v < 100 ? v.toFixed(1) : formatCount(v)} ${BYTE_UNITS[unit]}`;
}
function trimZeros(s) {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
function formatRatio(ratio) {
  if (Number.isNaN(ratio)) return "?\xD7";
  if (!Number.isFinite(ratio)) return "\u221E\xD7";
  if (ratio <= 0) return "0\xD7";
  if (ratio >= 10) return `${formatCount(ratio)}\xD7`;
  if (ratio >= 1) return `${trimZeros(ratio.toFixed(1))}\xD7`;
  if (ratio >= 0.01) return `${trimZeros(ratio.toFixed(2))}\xD7`;
  if (ratio < 1e-6) return "<0.000001\xD7";
  const decimals = Math.ceil(-Math.log10(ratio));
  return `${trimZeros(ratio.toFixed(decimals))}\xD7`;
}

// src/reach.ts
function findingReach(clusters, table, max = 10) {
  if (clusters.length === 0) return "none";
  const byName = new Map(table.map((c) => [c.name, c]));
  const rows = clusters.map((name) => byName.get(name) ?? { name, nodes: 0, nodesAssumed: true, unknown: true });
  const nodes = rows.reduce((n, c) => n + c.nodes, 0);
  const assumed = rows.every((c) => c.nodesAssumed) ? " (assumed)" : rows.some((c) => c.nodesAssumed) ? " (partly assumed)" : "";
  const total = `${formatCount(nodes)} node${nodes === 1 ? "" : "s"}${assumed}`;
  const shown = rows.length > max ? [...rows].sort((a, b) => b.nodes - a.nodes || cmp(a.name, b.name)).slice(0, max) : rows;
  const named = shown.map((c) => "unknown" in c ? `${c.name} (size unknown)` : `${c.name} (${formatCount(c.nodes)}${c.nodesAssumed ? ", assumed" : ""})`).join(", ");
  const more = rows.length > max ? `, and ${rows.length - max} smaller` : "";
  const bake = Math.max(0, ...rows.map((c) => "bakeSeconds" in c && typeof c.bakeSeconds === "number" ? c.bakeSeconds : 0));
  const wait = bake > 0 ? `; bake at least ${durationText(bake)} before the next stage: CoreDNS may answer from its cache that long, hiding a DNS failure` : "";
  return `${rows.length} cluster${rows.length === 1 ? "" : "s"}, ${total}: ${named}${more}${wait}`;
}
function durationText(seconds2) {
  if (seconds2 < 120) return `${seconds2} s`;
  if (seconds2 < 3600) return `${Math.round(seconds2 / 60)} min`;
  const h = Math.floor(seconds2 / 3600);
  const m = Math.round(seconds2 % 3600 / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

// src/report/markdown.ts
var MARKER = "<!-- blast-radius -->";
var LIMIT = 6e4;
var BUDGET = { errors: 6e3, notes: 2e3, clusters: 4e3, suppressed: 8e3 };
var CELL_CHARS = 200;
var BODY_CHARS = 2e3;
var LOAD_TABLE_CHARS = 4e3;
var CHART_POINTS = 24;
var BADGE = { critical: "\u{1F7E3}", high: "\u{1F534}", medium: "\u{1F7E0}", low: "\u{1F7E1}" };
function renderMarkdown(report, ctx) {
  const live = sortFindings2(report.findings.filter((f) => !f.suppressed));
  const suppressed = sortFindings2(report.findings.filter((f) => f.suppressed));
  const head = [MARKER, verdict(report, ctx), ""];
  if (live.length === 0 && suppressed.length === 0 && report.errors.length === 0) {
    const s = report.stats;
    head.push(`No findings: nothing in this change puts the fleet at risk (${s.changedFiles} changed files, ${s.resources} resources checked).`);
    return [...head, "", ...notesSection(report)].join("\n").trimEnd() + "\n";
  }
  head.push(...explanation(report, ctx), "");
  const tailLines = [...errorsSection(report), ...notesSection(report), ...clustersSection(report.clusters)];
  const suppressedLines = suppressedSection(suppressed);
  const used = size(head) + size(tailLines) + size(suppressedLines);
  const findingLines = findingsSection(live, LIMIT - used - 200, report.clusters);
  return [...head, ...findingLines, ...suppressedLines, ...tailLines].join("\n").trimEnd() + "\n";
}
function verdict(report, ctx) {
  const none = report.findings.length > 0 ? "no live findings" : "no findings";
  const level = report.level === "none" ? none : `${BADGE[report.level]} ${report.level.toUpperCase()}`;
  const outcome = ctx.exitCode === 0 ? "\u2705 passes" : `\u274C fails at fail-on ${ctx.failOn}`;
  return `### Blast Radius: ${level} \xB7 risk ${report.score}/100 \xB7 ${outcome}`;
}
function explanation(report, ctx) {
  const meaning = `**Level** is the highest severity among live findings; the check fails when it reaches the fail-on level (${ctx.failOn}). **Risk** is the share of the fleet at risk, from 0 (none) to 100 (the whole fleet, critically).`;
  const live = report.findings.filter((f) => !f.suppressed).length;
  const affected = report.clusters.filter((c) => c.affected).length;
  const facts = [
    `${live} live finding${live === 1 ? "" : "s"}` + (live < report.findings.length ? `, ${report.findings.length - live} suppressed` : ""),
    `${affected} of ${report.clusters.length} clusters affected`
  ];
  const commits = [ctx.base && `base ${sha(ctx.base)}`, ctx.head && `head ${sha(ctx.head)}`].filter(Boolean);
  if (commits.length > 0) facts.unshift(commits.join(" \u2192 "));
  return [meaning, "", facts.join(" \xB7 ")];
}
function findingsSection(live, budget, clusters) {
  if (live.length === 0) return ["No live findings.", ""];
  const table = ["| Severity | Rule | Resource | Location | Clusters reached |", "| --- | --- | --- | --- | --- |"];
  const rows = live.map(
    (f) => `| ${BADGE[f.severity]} ${f.severity} | ${esc(f.ruleId, CELL_CHARS)} | ${resource(f)} | ${where(f)} | ${clusterList(f.clusters)} |`
  );
  table.push(...fit(rows, Math.floor(budget * 0.75) - size(table), inReport("findings")), "");
  const left = budget - size(table);
  const plain = live.map((f) => findingDetails(f, false, clusters).join("\n"));
  const full = live.map((f) => findingDetails(f, true, clusters).join("\n"));
  let details = full;
  if (size(full) > left) {
    details = [...plain];
    let used = size(plain);
    for (let i = 0; i < live.length; i++) {
      const extra = full[i].length - plain[i].length;
      if (extra === 0) continue;
      if (used + extra > left) break;
      details[i] = full[i];
      used += extra;
    }
  }
  return [...table, ...fit(details, left, (n) => `Details of ${inReport("findings")(n)}`)];
}
function findingDetails(f, chart, table) {
  const summary = `${f.severity} \xB7 ${esc(f.ruleId, CELL_CHARS)} \xB7 ${resource(f)} \xB7 ${where(f)}`;
  const load2 = loadOf(f);
  return [
    `<details><summary>${summary}</summary>`,
    "",
    esc(f.message, BODY_CHARS),
    "",
    `**Fix:** ${esc(f.remediation, BODY_CHARS)}`,
    "",
    `**Reach:** ${esc(findingReach(f.clusters, table), BODY_CHARS)}`,
    "",
    ...load2 ? [...loadTable(load2), ...chart ? loadChart(chartOf(f) ?? load2) : []] : [],
    "</details>",
    ""
  ];
}
function loadOf(f) {
  if (f.family !== "watch-all") return void 0;
  const load2 = f.data?.load;
  if (!Array.isArray(load2) || load2.length === 0) return void 0;
  const rows = [];
  for (const e of load2) {
    if (typeof e !== "object" || e === null) return void 0;
    const { cluster: cluster2, nodes, nodesAssumed, relistBytes, requestsPerSecond, ratio } = e;
    if (typeof cluster2 !== "string" || typeof nodesAssumed !== "boolean") return void 0;
    const numbers = [nodes, relistBytes, requestsPerSecond, ratio];
    if (!numbers.every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0)) return void 0;
    rows.push({ cluster: cluster2, nodes, nodesAssumed, relistBytes, requestsPerSecond, ratio });
  }
  return rows.sort((a, b) => a.nodes - b.nodes || cmp2(a.cluster, b.cluster) || a.ratio - b.ratio);
}
function chartOf(f) {
  const chart = f.data?.chart;
  if (!Array.isArray(chart) || chart.length === 0) return void 0;
  const points = [];
  for (const e of chart) {
    const { nodes, ratio } = typeof e === "object" && e !== null ? e : {};
    if (![nodes, ratio].every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0)) return void 0;
    points.push({ nodes, ratio });
  }
  return points.sort((a, b) => a.nodes - b.nodes || a.ratio - b.ratio);
}
function loadTable(load2) {
  const rows = load2.map(
    (l) => `| ${esc(l.cluster, CELL_CHARS)} | ${formatCount(l.nodes)}${l.nodesAssumed ? " (assumed)" : ""} | ${formatBytes(l.relistBytes)} | ${pollRate(l.requestsPerSecond)} | ${formatRatio(l.ratio)} ${capacityVerdict(l.ratio)} |`
  );
  let first = rows.length - 1;
  for (let used = rows[first].length + 1; first > 0 && used + rows[first - 1].length + 1 <= LOAD_TABLE_CHARS; first--) used += rows[first - 1].length + 1;
  const cut = first === 0 ? [] : ["", `${first} smaller cluster${first === 1 ? "" : "s"} (${formatCount(load2[0].nodes)} to ${formatCount(load2[first - 1].nodes)} nodes) not shown.`];
  return [
    "**Load on the API servers** of each reached cluster (capacity used: 1\xD7 is all they can serve):",
    "",
    "| Cluster | Nodes | Relist | Poll rate | Capacity used |",
    "| --- | ---: | ---: | ---: | --- |",
    ...rows.slice(first),
    ...cut,
    ""
  ];
}
function pollRate(rps) {
  if (rps <= 0) return "\u2014";
  if (rps >= 10) return `${formatCount(rps)} req/s`;
  if (rps >= 0.1) return `${trimZeros2(rps.toFixed(1))} req/s`;
  return "under 0.1 req/s";
}
function capacityVerdict(ratio) {
  if (ratio >= SEVERITY_RATIOS.high) return "overload";
  if (ratio >= SEVERITY_RATIOS.medium) return "strains";
  return "passes";
}
function loadChart(load2) {
  const bySize = /* @__PURE__ */ new Map();
  for (const l of load2) {
    const label = formatCount(l.nodes);
    bySize.set(label, Math.max(bySize.get(label) ?? 0, l.ratio));
  }
  let points = [...bySize];
  if (points.length > CHART_POINTS) {
    const n = points.length;
    const picked = new Set(Array.from({ length: CHART_POINTS }, (_, i) => Math.round(i * (n - 1) / (CHART_POINTS - 1))));
    points = points.filter((_, i) => picked.has(i));
  }
  const top = niceCeil(Math.max(1, ...points.map(([, r]) => r)) * 1.1);
  return [
    "```mermaid",
    "xychart-beta",
    '  title "Capacity used by cluster size"',
    `  x-axis "nodes" [${points.map(([label]) => `"${label}"`).join(", ")}]`,
    `  y-axis "ratio to capacity" 0 --> ${chartNumber(top)}`,
    `  bar [${points.map(([, r]) => chartNumber(r)).join(", ")}]`,
    `  line [${points.map(() => "1").join(", ")}]`,
    "```",
    ""
  ];
}
function niceCeil(n) {
  const scale = 10 ** Math.floor(Math.log10(n));
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => s * scale >= n * (1 - 1e-12)) ?? 10;
  return step * scale;
}
function chartNumber(n) {
  if (!(n > 0)) return "0";
  const v = Math.min(n, 1e12);
  const decimals = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(v))));
  return trimZeros2(v.toFixed(decimals));
}
function trimZeros2(s) {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
function suppressedSection(suppressed) {
  if (suppressed.length === 0) return [];
  const by = (f) => esc(f.suppressedBy ?? "unknown", CELL_CHARS);
  const rows = suppressed.map((f) => `| ${f.severity} | ${esc(f.ruleId, CELL_CHARS)} | ${resource(f)} | ${where(f)} | ${by(f)} |`);
  return [
    `<details><summary>${suppressed.length} suppressed finding${suppressed.length === 1 ? "" : "s"} (not counted)</summary>`,
    "",
    "| Severity | Rule | Resource | Location | Suppressed by |",
    "| --- | --- | --- | --- | --- |",
    ...fit(rows, BUDGET.suppressed, inReport("suppressed findings")),
    "",
    "</details>",
    ""
  ];
}
function errorsSection(report) {
  const items = report.errors.map((e) => `- ${esc(e.file, CELL_CHARS)}:${e.line}: ${esc(e.message, BODY_CHARS)}`);
  return items.length === 0 ? [] : [`**Errors** (${items.length}; these files were not analysed):`, "", ...fit(items, BUDGET.errors, inReport("errors")), ""];
}
function notesSection(report) {
  const items = report.notes.map((n) => `- ${esc(n, BODY_CHARS)}`);
  return items.length === 0 ? [] : ["**Notes:**", "", ...fit(items, BUDGET.notes, inReport("notes")), ""];
}
function clustersSection(clusters) {
  if (clusters.length === 0) return [];
  const ordered = [...clusters.filter((c) => c.affected), ...clusters.filter((c) => !c.affected)];
  return [
    "**Clusters reached:**",
    "",
    "| Cluster | Stage | Nodes | Affected |",
    "| --- | --- | ---: | --- |",
    ...fit(ordered.map(clusterRow), BUDGET.clusters, inReport("clusters")),
    ""
  ];
}
function clusterRow(c) {
  const nodes = thousands(c.nodes) + (c.nodesAssumed ? " (assumed)" : "");
  return `| ${esc(c.name, CELL_CHARS)} | ${esc(c.stage, CELL_CHARS)} | ${nodes} | ${c.affected ? "yes" : "no"} |`;
}
function fit(items, budget, more) {
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    used += items[i].length + 1;
    if (used > budget) return [...items.slice(0, i), "", more(items.length - i)];
  }
  return items;
}
function inReport(what) {
  return (n) => `${n} more ${what} are in the job summary / JSON report.`;
}
function sortFindings2(findings) {
  return [...findings].sort(
    (a, b) => levelRank(b.severity) - levelRank(a.severity) || cmp2(a.file === null ? 1 : 0, b.file === null ? 1 : 0) || cmp2(a.file ?? "", b.file ?? "") || (a.line ?? 0) - (b.line ?? 0) || cmp2(a.ruleId, b.ruleId)
  );
}
function cmp2(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
function resource(f) {
  return f.resource === null ? "(whole change)" : esc(f.resource, CELL_CHARS);
}
function where(f) {
  if (f.file === null) return "\u2014";
  return esc(f.file, CELL_CHARS) + (f.line === null ? "" : `:${f.line}`);
}
function clusterList(clusters) {
  if (clusters.length === 0) return "none";
  const shown = clusters.slice(0, 10).map((c) => esc(c, CELL_CHARS));
  const more = clusters.length > 10 ? `, +${clusters.length - 10} more` : "";
  return `${shown.join(", ")}${more} (${clusters.length})`;
}
function sha(ref) {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(ref) ? ref.slice(0, 7) : esc(ref, 60);
}
function thousands(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
function size(lines) {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}
var ENTITIES = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "|": "&#124;",
  "`": "&#96;",
  "\\": "&#92;",
  "[": "&#91;",
  "]": "&#93;",
  "(": "&#40;",
  ")": "&#41;",
  "*": "&#42;",
  "_": "&#95;",
  "~": "&#126;"
};
function esc(text, max) {
  let s = text.replace(/[\u202a-\u202e\u2066-\u2069]/g, "");
  if (s.length > max) s = s.slice(0, max - 1).replace(/[\ud800-\udbff]$/, "") + "\u2026";
  return s.replace(/([@#])/g, "$1\u200B").replace(/\b(GH)-(?=\d)/gi, "$1-\u200B").replace(/[&<>"|`\\[\]()*_~]/g, (c) => ENTITIES[c]).replace(/\r\n?|\n/g, "<br>").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "\uFFFD");
}

// src/report/sarif.ts
import { createHash } from "node:crypto";
var REPO_URL = "https://github.com/kube-blast-radius/kube-blast-radius";
var LEVEL = { critical: "error", high: "error", medium: "warning", low: "note" };
var SECURITY_SEVERITY = { critical: "9.5", high: "8.0", medium: "5.0", low: "2.0" };
function renderSarif(report, ctx) {
  const rules = [];
  const index = /* @__PURE__ */ new Map();
  const add = (d) => {
    if (!index.has(d.id)) index.set(d.id, rules.push(d) - 1);
  };
  ctx.rules.forEach((meta2) => add(describe2(meta2)));
  report.findings.forEach((f) => add(minimalDescriptor(f)));
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "blast-radius", informationUri: REPO_URL, rules } },
        invocations: [invocation(report)],
        results: report.findings.map((f) => result(f, index.get(f.ruleId) ?? 0, report.clusters)),
        properties: { score: report.score, level: report.level }
      }
    ]
  };
  return JSON.stringify(log, null, 2) + "\n";
}
function describe2(meta2) {
  return {
    id: meta2.id,
    name: meta2.id,
    shortDescription: { text: meta2.description },
    // GitHub shows fullDescription at the top of an alert and requires it; our one-sentence
    // description is all there is.
    fullDescription: { text: meta2.description },
    helpUri: `${REPO_URL}/blob/main/${meta2.docs}`,
    help: { text: meta2.remediation, markdown: `${meta2.remediation}

[Rule documentation](${REPO_URL}/blob/main/${meta2.docs})` },
    defaultConfiguration: { level: LEVEL[meta2.severity] },
    properties: { tags: [meta2.family], "security-severity": SECURITY_SEVERITY[meta2.severity] }
  };
}
function minimalDescriptor(f) {
  return {
    id: f.ruleId,
    name: f.ruleId,
    shortDescription: { text: f.ruleId },
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: { tags: [f.family], "security-severity": SECURITY_SEVERITY[f.severity] }
  };
}
function result(f, ruleIndex, table) {
  const reach2 = findingReach(f.clusters, table);
  const out = {
    ruleId: f.ruleId,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.message}

Fix: ${f.remediation}

Reach: ${reach2}` },
    partialFingerprints: { "blastRadius/v1": fingerprint(f) },
    properties: { severity: f.severity, resource: f.resource, clusters: f.clusters }
  };
  if (f.file !== null) {
    out.locations = [
      {
        physicalLocation: {
          // Repository-relative, against %SRCROOT% as CodeQL does: code scanning resolves it from the
          // checkout root and matches it to the file in the PR.
          artifactLocation: { uri: toUri(f.file), uriBaseId: "%SRCROOT%" },
          // GitHub rejects a physical location without a region (kube-linter: "GH1003"), so a
          // file-level finding points at line 1.
          region: { startLine: Math.max(1, f.line ?? 1) }
        },
        ...f.resource === null ? {} : { logicalLocations: [{ fullyQualifiedName: f.resource, kind: "object" }] }
      }
    ];
  }
  if (f.suppressed) {
    out.suppressions = [{ kind: "inSource", ...f.suppressedBy === null ? {} : { justification: f.suppressedBy } }];
  }
  return out;
}
function fingerprint(f) {
  return createHash("sha256").update([f.ruleId, f.resource ?? "", f.file ?? "", f.key ?? ""].join("\0")).digest("hex").slice(0, 32);
}
function invocation(report) {
  const notifications = [
    ...report.errors.map(
      (e) => ({
        level: "error",
        message: { text: e.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: toUri(e.file), uriBaseId: "%SRCROOT%" },
              region: { startLine: Math.max(1, e.line) }
            }
          }
        ]
      })
    ),
    ...report.notes.map((n) => ({ level: "note", message: { text: n } }))
  ];
  return { executionSuccessful: true, toolExecutionNotifications: notifications };
}
function toUri(path) {
  return path.split("/").map(encodeURIComponent).join("/");
}

// src/report/text.ts
var WIDTH = 100;
var INDENT = "    ";
var ANSI = {
  reset: "\x1B[0m",
  bold: "\x1B[1m",
  dim: "\x1B[2m",
  red: "\x1B[31m",
  green: "\x1B[32m",
  yellow: "\x1B[33m",
  magenta: "\x1B[35m",
  cyan: "\x1B[36m"
};
var SEVERITY_STYLE = {
  critical: ["bold", "magenta"],
  high: ["bold", "red"],
  medium: ["yellow"],
  low: ["cyan"]
};
function renderText(report, ctx, opts) {
  const paint = (text, ...styles) => opts.color && styles.length > 0 ? styles.map((s) => ANSI[s]).join("") + text + ANSI.reset : text;
  const live = report.findings.filter((f) => !f.suppressed);
  const suppressed = report.findings.filter((f) => f.suppressed);
  const out = [verdict2(report, ctx, suppressed.length, paint)];
  for (const f of live) out.push("", ...findingBlock(f, paint, false, report.clusters));
  if (suppressed.length > 0) {
    out.push("", paint(`Suppressed (${suppressed.length}, not counted):`, "bold"));
    for (const f of suppressed) out.push("", ...findingBlock(f, paint, true, report.clusters));
  }
  if (report.errors.length > 0) {
    out.push("", paint(`Errors (${report.errors.length}):`, "bold", "red"));
    for (const e of report.errors) out.push(...wrap(`${line2(e.file)}:${e.line}: ${clean(e.message)}`, "  "));
  }
  if (report.notes.length > 0) {
    out.push("", paint("Notes:", "bold"));
    for (const n of report.notes) out.push(...wrap(clean(n), "  - ", "    "));
  }
  if (report.clusters.length > 0) out.push("", ...clusterTable(report.clusters, paint));
  return out.join("\n") + "\n";
}
function verdict2(report, ctx, suppressed, paint) {
  const head = paint("Blast Radius:", "bold");
  const level = report.level === "none" ? suppressed > 0 ? `no live findings (${suppressed} suppressed)` : "no findings" : paint(report.level.toUpperCase(), ...SEVERITY_STYLE[report.level]);
  const outcome = ctx.exitCode === 0 ? paint(report.level === "none" ? "passes" : `passes at fail-on ${ctx.failOn}`, "green") : paint(`check fails at fail-on ${ctx.failOn} (exit ${ctx.exitCode})`, "bold", "red");
  return `${head} ${level} \u2014 risk ${report.score}/100 \u2014 ${outcome}`;
}
function findingBlock(f, paint, suppressed, table) {
  const where2 = f.file === null ? "(whole change)" : f.line === null ? line2(f.file) : `${line2(f.file)}:${f.line}`;
  const resource2 = f.resource === null ? "(no resource)" : line2(f.resource);
  const sevStyle = suppressed ? ["dim"] : SEVERITY_STYLE[f.severity];
  const header = fitLine([
    [where2, paint(where2, "bold")],
    [f.severity, paint(f.severity, ...sevStyle) + " ".repeat(8 - f.severity.length)],
    [line2(f.ruleId), line2(f.ruleId)],
    [resource2, resource2]
  ]);
  const mark = suppressed ? [paint(`(suppressed: ${line2(f.suppressedBy ?? "unknown")})`, "dim")] : [];
  return [
    header,
    ...mark.map((m) => INDENT + m),
    ...wrap(clean(f.message), INDENT),
    ...wrap(`reach: ${line2(findingReach(f.clusters, table))}`, INDENT, INDENT + "       "),
    ...wrap(`fix: ${clean(f.remediation)}`, INDENT, INDENT + "     ")
  ];
}
function clusterTable(clusters, paint) {
  const rows = clusters.map((c) => [
    line2(c.name),
    line2(c.stage),
    (c.nodesAssumed ? "~" : "") + thousands2(c.nodes),
    c.affected ? "yes" : "no"
  ]);
  const head = ["cluster", "stage", "nodes", "affected"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r) => r.map((cell, i) => i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join("  ").trimEnd();
  const affected = clusters.filter((c) => c.affected).length;
  const out = [paint(`Clusters (${affected} of ${clusters.length} affected):`, "bold"), "  " + paint(fmt(head), "dim")];
  for (let i = 0; i < rows.length; i++) {
    const text = "  " + fmt(rows[i]);
    out.push(clusters[i].affected ? text : paint(text, "dim"));
  }
  if (clusters.some((c) => c.nodesAssumed)) out.push(paint("  ~ node count assumed (not configured)", "dim"));
  return out;
}
function clean(text) {
  return text.replace(/\r\n?/g, "\n").replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "\uFFFD");
}
function line2(text) {
  return clean(text).replace(/[\n\t]/g, " ");
}
function thousands2(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
function fitLine(parts) {
  let out = parts[0][1];
  let width = parts[0][0].length;
  for (const [plain, painted] of parts.slice(1)) {
    if (width + 2 + plain.length > WIDTH) {
      out = `${out.trimEnd()}
${INDENT}${painted}`;
      width = INDENT.length + plain.length;
    } else {
      out += "  " + painted;
      width += 2 + plain.length;
    }
  }
  return out;
}
function wrap(text, first, rest = first) {
  const out = [];
  for (const paragraph of text.split("\n")) {
    let current = "";
    let prefix = out.length === 0 ? first : rest;
    for (const word of paragraph.split(/[ \t]+/).filter((w) => w !== "")) {
      if (current !== "" && prefix.length + current.length + 1 + word.length > WIDTH) {
        out.push(prefix + current);
        prefix = rest;
        current = word;
      } else {
        current = current === "" ? word : `${current} ${word}`;
      }
    }
    out.push((prefix + current).trimEnd());
  }
  return out;
}

// src/tree.ts
import { execFileSync as execFileSync2 } from "node:child_process";
function parseOnce(cache2, path, blob, text, hasFile) {
  const id = `${path}\0${blob}`;
  let f = cache2.get(id);
  if (!f) {
    if (isHelmTemplate(path, text, hasFile)) {
      f = { path, blob, text, docs: [], objects: [], skipped: "Helm chart template (rendered in a later stage)" };
    } else {
      f = parseYamlFile(path, blob, text);
    }
    cache2.set(id, f);
  }
  return f;
}
function assemble(side, commit, paths, files, readFile) {
  const inputs = treeInputs({ files });
  const sorted = [...files.keys()].sort(cmp);
  const ordered = /* @__PURE__ */ new Map();
  const objects = [];
  for (const p of sorted) {
    let f = files.get(p);
    const by = inputs.get(p) ?? (isKustomizationPath(p) && f.objects.length ? p : void 0);
    if (by) f = { ...f, objects: [], input: by };
    ordered.set(p, f);
    objects.push(...f.objects);
  }
  return { side, commit, files: ordered, objects, paths: paths.sort(cmp), readFile };
}
async function readTrees(repo, changes) {
  const [headEntries, baseEntries] = await Promise.all([listTreeAsync(repo, changes.head), listTreeAsync(repo, changes.base)]);
  const wanted = (e) => isYamlPath(e.path) && e.mode !== "120000" && e.size <= MAX_FILE_BYTES;
  const headPaths = new Map(headEntries.map((e) => [e.path, e]));
  const basePaths = new Map(baseEntries.map((e) => [e.path, e]));
  const byBlob = /* @__PURE__ */ new Map();
  const hasHead = (p) => headPaths.has(p);
  const hasBase = (p) => basePaths.has(p);
  for (const [entries, has] of [[headEntries, hasHead], [baseEntries, hasBase]]) {
    for (const e of entries) {
      if (!wanted(e)) continue;
      const list = byBlob.get(e.blob) ?? byBlob.set(e.blob, []).get(e.blob);
      if (!list.some((x) => x.path === e.path)) list.push({ path: e.path, has });
    }
  }
  const cache2 = /* @__PURE__ */ new Map();
  const texts = /* @__PURE__ */ new Map();
  await streamBlobs(repo, [...byBlob.keys()], (blob, content) => {
    const text = content.toString("utf8");
    texts.set(blob, text);
    for (const { path, has } of byBlob.get(blob) ?? []) parseOnce(cache2, path, blob, text, has);
  });
  const build2 = (side, commit, byPath) => {
    const files = /* @__PURE__ */ new Map();
    for (const e of byPath.values()) {
      if (!isYamlPath(e.path) || e.mode === "120000") continue;
      if (e.size > MAX_FILE_BYTES) {
        files.set(e.path, { path: e.path, blob: e.blob, text: "", docs: [], objects: [], error: { line: 1, message: `file is ${e.size} bytes, above the ${MAX_FILE_BYTES}-byte limit; not analysed` } });
        continue;
      }
      const f = cache2.get(`${e.path}\0${e.blob}`);
      if (f) files.set(e.path, f);
    }
    const readFile = (p) => {
      const e = byPath.get(p);
      if (!e || e.mode === "120000") return null;
      const cached = texts.get(e.blob);
      if (cached !== void 0) return cached;
      try {
        return execFileSync2("git", ["-C", repo, "cat-file", "blob", e.blob], { maxBuffer: MAX_FILE_BYTES * 4 }).toString("utf8");
      } catch {
        return null;
      }
    };
    return assemble(side, commit, [...byPath.keys()], files, readFile);
  };
  return { base: build2("base", changes.base, basePaths), head: build2("head", changes.head, headPaths) };
}

// src/text.ts
var quote = (s) => JSON.stringify(s);
function listing(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

// rules/blast-radius/admission-webhook.ts
var API_GROUP = "admissionregistration.k8s.io";
var KINDS = /* @__PURE__ */ new Set(["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]);
var DEFAULTS2 = {
  [`${API_GROUP}/v1`]: { failurePolicy: "Fail", timeoutSeconds: 10 },
  [`${API_GROUP}/v1beta1`]: { failurePolicy: "Ignore", timeoutSeconds: 30 }
};
var MAX_TIMEOUT_SECONDS = 5;
var NAME_LABEL = "kubernetes.io/metadata.name";
var ORDINARY_NAMESPACE = { [NAME_LABEL]: "some-namespace" };
var NO_LABELS = {};
var OPERATIONS = /* @__PURE__ */ new Set(["CREATE", "UPDATE", "DELETE", "CONNECT", "*"]);
var CRITICAL_REQUESTS = [
  { what: "pods", resource: "pods", subresource: "", namespaced: true, blocking: ["CREATE", "UPDATE"] },
  { what: "pods", resource: "pods", subresource: "binding", namespaced: true, blocking: ["CREATE"] },
  { what: "pods", resource: "pods", subresource: "status", namespaced: true, blocking: ["UPDATE"] },
  { what: "nodes", resource: "nodes", subresource: "", namespaced: false, blocking: ["CREATE", "UPDATE"] },
  { what: "namespaces", resource: "namespaces", subresource: "", namespaced: false, blocking: ["CREATE", "UPDATE"] }
];
var REMEDIATION_KUBE_SYSTEM = "Exclude kube-system and kube-node-lease with a namespaceSelector matchExpressions entry {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, kube-node-lease]}, or set failurePolicy: Ignore and validate the final state instead.";
var REMEDIATION_NODES = "Set failurePolicy: Ignore and validate the final state, or drop nodes from the rules (a namespaceSelector never applies to nodes).";
var REMEDIATION_MEDIUM = "Set failurePolicy: Ignore and validate the final state, or limit the webhook to the namespaces that need it with a namespaceSelector and run its backend with at least 2 replicas and a PodDisruptionBudget.";
var REMEDIATION_TIMEOUT = `Set timeoutSeconds to ${MAX_TIMEOUT_SECONDS} or less so a hung backend fails fast.`;
function readRules(webhook) {
  return asList(webhook.rules).map(asMap).filter((r) => r !== void 0).map((r) => ({
    groups: asStrings(r.apiGroups),
    versions: asStrings(r.apiVersions),
    resources: asStrings(r.resources),
    operations: asStrings(r.operations).filter((o) => OPERATIONS.has(o)),
    scope: asString(r.scope) ?? "*"
  }));
}
function resourceMatches(entry, resource2, subresource) {
  const slash = entry.indexOf("/");
  const res = slash < 0 ? entry : entry.slice(0, slash);
  const sub = slash < 0 ? "" : entry.slice(slash + 1);
  return (res === "*" || res === resource2) && (sub === "*" || sub === subresource);
}
function blockingOpsMatched(rule, req) {
  if (!rule.groups.some((g) => g === "" || g === "*")) return [];
  if (!rule.versions.some((v) => v === "v1" || v === "*")) return [];
  if (rule.scope === "Namespaced" && !req.namespaced) return [];
  if (rule.scope === "Cluster" && req.namespaced) return [];
  if (!rule.resources.some((e) => resourceMatches(e, req.resource, req.subresource))) return [];
  if (rule.operations.includes("*")) return [...req.blocking];
  return req.blocking.filter((op) => rule.operations.includes(op));
}
function matchesAnything(rule) {
  return rule.groups.length > 0 && rule.versions.length > 0 && rule.resources.length > 0 && rule.operations.length > 0;
}
function kubeSystemLabelSets(tree, unit) {
  const found = tree.objects.filter((o) => o.kind === "Namespace" && o.name === "kube-system" && o.unit === unit);
  if (found.length === 0) return [{ [NAME_LABEL]: "kube-system" }];
  return found.map((o) => ({ ...labelsOf(o), [NAME_LABEL]: "kube-system" }));
}
function numberOf(value) {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return void 0;
}
function byOperation(a, b) {
  const rank = (s) => (s.includes(" ") ? 10 : 0) + ["CREATE", "UPDATE", "DELETE", "CONNECT"].indexOf(s.split(" ").pop());
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
function backendOf(webhook) {
  const service = asMap(getIn(webhook, ["clientConfig", "service"]));
  if (service) {
    const name = asString(service.name) ?? "?";
    const ns = asString(service.namespace);
    return `service ${quote(ns ? `${ns}/${name}` : name)}`;
  }
  const url = asString(getIn(webhook, ["clientConfig", "url"]));
  return url ? `URL ${quote(url)}` : "its backend";
}
function describeRules(rules) {
  const parts = [];
  for (const r of rules.filter(matchesAnything)) {
    const targets = r.groups.flatMap((g) => r.resources.map((res) => g === "" ? res : `${g}/${res}`));
    const shown2 = targets.slice(0, 4).map(quote).join(", ");
    const more = targets.length > 4 ? ` and ${targets.length - 4} more` : "";
    parts.push(`${r.operations.includes("*") ? "every operation" : r.operations.join(", ")} of ${shown2}${more}`);
  }
  const shown = parts.slice(0, 3);
  return shown.join("; ") + (parts.length > 3 ? `; and ${parts.length - 3} more rules` : "");
}
function judge(object, webhook, kubeSystem) {
  const defaults = DEFAULTS2[object.apiVersion];
  const explicitPolicy = asString(webhook.failurePolicy);
  const policy = explicitPolicy ?? defaults.failurePolicy;
  if (policy === "Ignore") return {};
  const rules = readRules(webhook);
  if (!rules.some(matchesAnything)) return {};
  const nsSel = webhook.namespaceSelector;
  const objSel = webhook.objectSelector;
  if (!parseSelector(nsSel).ok || !parseSelector(objSel).ok) return {};
  const nsSelEmpty = isEmptySelector(nsSel);
  const selects = (nsLabels, objLabels) => (nsLabels === null || matchesSelector(nsSel, nsLabels)) && matchesSelector(objSel, objLabels);
  const narrow = !selects(ORDINARY_NAMESPACE, NO_LABELS);
  const exposures = /* @__PURE__ */ new Map();
  for (const req of CRITICAL_REQUESTS) {
    const ops = rules.flatMap((r) => blockingOpsMatched(r, req));
    if (ops.length === 0) continue;
    let broad;
    let inKubeSystem;
    if (req.what === "pods") {
      broad = selects(ORDINARY_NAMESPACE, NO_LABELS);
      inKubeSystem = kubeSystem.some((labels) => selects(labels, NO_LABELS));
    } else if (req.what === "namespaces") {
      broad = selects(ORDINARY_NAMESPACE, ORDINARY_NAMESPACE);
      inKubeSystem = kubeSystem.some((labels) => selects(labels, labels));
    } else {
      broad = selects(null, NO_LABELS);
      inKubeSystem = broad;
    }
    const e = exposures.get(req.what) ?? { what: req.what, ops: /* @__PURE__ */ new Set(), broad, kubeSystem: inKubeSystem };
    ops.forEach((op) => e.ops.add(req.subresource ? `${req.subresource} ${op}` : op));
    exposures.set(req.what, e);
  }
  const high = [...exposures.values()].filter((e) => e.broad && e.kubeSystem);
  const exposedElsewhere = [...exposures.values()].some((e) => e.broad);
  if (high.length === 0 && narrow && !exposedElsewhere) return {};
  const cfg = `${object.kind} ${quote(object.name)}`;
  const name = asString(webhook.name) ?? "(unnamed)";
  const subject = `webhook ${quote(name)} of ${cfg}`;
  const backend = backendOf(webhook);
  const explicitTimeout = numberOf(webhook.timeoutSeconds);
  const timeout = explicitTimeout ?? defaults.timeoutSeconds;
  const version = object.apiVersion;
  const policyText = explicitPolicy === void 0 ? `failurePolicy unset: ${quote(defaults.failurePolicy)} is the ${version} default` : `failurePolicy ${quote(explicitPolicy)}`;
  const conditions = asList(webhook.matchConditions).length > 0 ? "; its matchConditions were not evaluated and may narrow this" : "";
  const everywhere = nsSelEmpty ? "in every namespace" : "in every namespace its namespaceSelector selects";
  const after = `after up to the ${timeout} s timeout`;
  let failClosed;
  if (high.length > 0) {
    const whatText = [];
    const consequences = [];
    let lockOut = false;
    for (const e of high) {
      const ops = listing([...e.ops].sort(byOperation));
      if (e.what === "pods") {
        whatText.push(`pod ${ops}`);
        const effects = [];
        if (e.ops.has("CREATE") || e.ops.has("binding CREATE")) {
          effects.push("controllers cannot replace pods and operators cannot start recovery pods");
          lockOut = true;
        }
        if (e.ops.has("status UPDATE")) effects.push("kubelets cannot report pod status, so no new pod becomes ready");
        if (e.ops.has("UPDATE")) effects.push("pods cannot be relabelled or have finalizers removed");
        consequences.push(`every pod ${ops} ${everywhere}, kube-system included, is rejected ${after}: ${effects.join(", ")}`);
      } else if (e.what === "namespaces") {
        whatText.push(`namespace ${ops}`);
        consequences.push(`every namespace ${ops}, kube-system included, is rejected ${after}: no namespace can be created or relabelled`);
      } else {
        whatText.push(`node ${ops} (a namespaceSelector never applies to nodes)`);
        consequences.push(`every node ${ops} is rejected ${after}: new nodes cannot register and controllers cannot taint or label nodes`);
        lockOut = true;
      }
    }
    const kind = object.kind.toLowerCase();
    failClosed = {
      severity: "high",
      message: `${subject} fails closed (${policyText}) on ${listing(whatText)}; while ${backend} is down ${consequences.join("; ")}; ${lockOut ? "lock-out risk: recovery through the API is blocked, and the break-glass path" : "the break-glass path"} is to delete or patch the webhook configuration with an admin credential (kubectl delete ${kind} ${object.name}), which works while the backend is down because webhooks are never called for webhook configurations${conditions}`,
      remediation: high.some((e) => e.what === "nodes") ? REMEDIATION_NODES : REMEDIATION_KUBE_SYSTEM
    };
  } else {
    const keptOut = [...exposures.values()].filter((e) => e.broad && !e.kubeSystem).map((e) => e.what);
    const outside = keptOut.length > 0 ? ` (kube-system is kept out for ${listing(keptOut)})` : "";
    failClosed = {
      severity: "medium",
      message: `${subject} fails closed (${policyText}) on ${describeRules(rules)}${outside}; while ${backend} is down every matching request ${everywhere} is rejected ${after}${conditions}`,
      remediation: REMEDIATION_MEDIUM
    };
  }
  const out = { failClosed };
  if (timeout > MAX_TIMEOUT_SECONDS) {
    const timeoutText = explicitTimeout === void 0 ? `timeoutSeconds unset: ${timeout} s is the ${version} default` : `timeoutSeconds ${timeout}`;
    out.timeout = {
      severity: "medium",
      message: `${subject} fails closed and waits up to ${timeout} s for ${backend} (${timeoutText}), above the ${MAX_TIMEOUT_SECONDS} s limit: while the backend hangs every matching request is held ${timeout} s before it is rejected, and clients retrying pile up on the API servers`,
      remediation: REMEDIATION_TIMEOUT
    };
  }
  return out;
}
var admissionWebhook = {
  meta: {
    id: "blast-radius/admission-webhook",
    family: "blast-radius",
    type: "state",
    severity: "high",
    description: "Flag fail-closed admission webhooks that can block pod, node or namespace creation cluster-wide, kube-system included, and fail-closed webhooks with long timeouts.",
    docs: "docs/rules/blast-radius/admission-webhook.md",
    remediation: REMEDIATION_KUBE_SYSTEM
  },
  check(ctx) {
    const kubeSystemByUnit = /* @__PURE__ */ new Map();
    for (const object of ctx.tree.objects) {
      if (!KINDS.has(object.kind) || !DEFAULTS2[object.apiVersion]) continue;
      let kubeSystem = kubeSystemByUnit.get(object.unit);
      if (!kubeSystem) kubeSystemByUnit.set(object.unit, kubeSystem = kubeSystemLabelSets(ctx.tree, object.unit));
      asList(object.doc.webhooks).forEach((raw, i) => {
        const webhook = asMap(raw);
        if (!webhook) return;
        const { failClosed, timeout } = judge(object, webhook, kubeSystem);
        const name = asString(webhook.name) ?? "(unnamed)";
        const has = (field) => Object.prototype.hasOwnProperty.call(webhook, field);
        if (failClosed) {
          const path = ["webhooks", i, has("failurePolicy") ? "failurePolicy" : "name"];
          ctx.report({ key: `${name}:fail-closed`, ...failClosed, at: { object, path } });
        }
        if (timeout) {
          const path = ["webhooks", i, has("timeoutSeconds") ? "timeoutSeconds" : "name"];
          ctx.report({ key: `${name}:timeout`, ...timeout, at: { object, path } });
        }
      });
    }
  }
};

// rules/blast-radius/new-daemonset.ts
var KIND = "DaemonSet";
var REMEDIATION = "Ship a new DaemonSet to one small cluster (or one node pool through a nodeSelector) first and widen it in later pull requests once it runs healthy there.";
function clusterText(c) {
  return `${c.name} (${formatCount(c.nodes)}${c.nodesAssumed ? ", assumed" : ""})`;
}
var newDaemonset = {
  meta: {
    id: "blast-radius/new-daemonset",
    family: "blast-radius",
    type: "change",
    severity: "medium",
    description: "Flag DaemonSets that are new in a cluster: their creation ignores the update strategy and lands on every node at once, with the node count of each new cluster (high when a watch-all rule also flags the DaemonSet).",
    docs: "docs/rules/blast-radius/new-daemonset.md",
    remediation: REMEDIATION,
    after: ["watch-all"]
  },
  check(ctx) {
    const before = /* @__PURE__ */ new Map();
    for (const b of ctx.base.objects) {
      if (b.kind !== KIND) continue;
      const set2 = before.get(b.ref) ?? before.set(b.ref, /* @__PURE__ */ new Set()).get(b.ref);
      for (const c of ctx.fleet.clustersOfObject(b, "base")) set2.add(c);
    }
    const groups = /* @__PURE__ */ new Map();
    const sourceIds = /* @__PURE__ */ new Map();
    for (const o of ctx.head.objects) {
      if (o.kind !== KIND) continue;
      const old = before.get(o.ref);
      const fresh = ctx.fleet.clustersOfObject(o, "head").filter((c) => !old?.has(c));
      if (fresh.length === 0) continue;
      const source = o.source ?? o;
      if (!sourceIds.has(source)) sourceIds.set(source, sourceIds.size);
      const id = `${sourceIds.get(source)}\0${o.ref}`;
      const group = groups.get(id) ?? groups.set(id, { object: o, clusters: /* @__PURE__ */ new Set() }).get(id);
      for (const c of fresh) group.clusters.add(c);
    }
    const watchAll2 = /* @__PURE__ */ new Map();
    for (const f of ctx.prior) {
      if (f.family !== "watch-all" || f.suppressed || f.resource === null) continue;
      (watchAll2.get(f.resource) ?? watchAll2.set(f.resource, []).get(f.resource)).push(f);
    }
    for (const { object: o, clusters: names } of groups.values()) {
      const known = ctx.fleet.clusters.filter((c) => names.has(c.name));
      const unknown = [...names].filter((n) => !known.some((c) => c.name === n)).sort(cmp);
      const clusters = [...known, ...unknown.map((n) => ctx.fleet.cluster(n)).filter((c) => c !== void 0)];
      if (clusters.length === 0) continue;
      const total = clusters.reduce((sum, c) => sum + c.nodes, 0);
      const assumed = clusters.every((c) => c.nodesAssumed) ? " (assumed)" : clusters.some((c) => c.nodesAssumed) ? " (partly assumed)" : "";
      const flagged = watchAll2.get(o.ref) ?? [];
      const rules = [...new Set(flagged.map((f) => f.ruleId))].sort(cmp);
      const name = o.namespace ? `${o.namespace}/${o.name}` : o.name;
      const where2 = clusters.length === 1 ? `cluster ${quote(clusters[0].name)}` : `${clusters.length} clusters`;
      const nodes = `${formatCount(total)} node${total === 1 ? "" : "s"}${assumed}`;
      let message = `new DaemonSet ${quote(name)} in ${where2} lands on ${nodes} at once: ${clusters.map(clusterText).join(", ")}; the DaemonSet controller creates pods in slow-start batches (1, 2, 4 \u2026 up to 250 per sync, RULEBOOK B.1) regardless of updateStrategy`;
      if (rules.length > 0) {
        message += `; ${listing(rules)} also flag${rules.length === 1 ? "s" : ""} it, so every new pod starts its cluster-wide list and watch at about the same time`;
      }
      ctx.report({
        key: "new-in-clusters",
        severity: rules.length > 0 ? "high" : "medium",
        message,
        at: { object: o, path: ["metadata", "name"] },
        clusters: clusters.map((c) => c.name),
        data: {
          totalNodes: total,
          clusters: clusters.map((c) => ({ cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed })),
          watchAll: rules
        }
      });
    }
  }
};

// src/joins.ts
var indexes = /* @__PURE__ */ new WeakMap();
function configMapIndex(unitObjects) {
  let index = indexes.get(unitObjects);
  if (!index) {
    index = /* @__PURE__ */ new Map();
    for (const o of unitObjects) if (o.kind === "ConfigMap") (index.get(`${o.namespace ?? ""}/${o.name}`) ?? index.set(`${o.namespace ?? ""}/${o.name}`, []).get(`${o.namespace ?? ""}/${o.name}`)).push(o);
    indexes.set(unitObjects, index);
  }
  return index;
}
var sourceFile = (o) => (o.source ?? o).file;
function sharedDepth(a, b) {
  if (a === b) return Number.MAX_SAFE_INTEGER;
  const n = Math.min(a.length, b.length);
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = a.charCodeAt(i);
    if (c !== b.charCodeAt(i)) break;
    if (c === 47) depth++;
  }
  return depth;
}
function closest(file, candidates, fileOfCandidate) {
  if (candidates.length <= 1) return [...candidates];
  let best = -1;
  let out = [];
  for (const c of candidates) {
    const d = sharedDepth(file, fileOfCandidate(c));
    if (d > best) {
      best = d;
      out = [c];
    } else if (d === best) out.push(c);
  }
  return out;
}
var usesCache = /* @__PURE__ */ new WeakMap();
function configMapsOf(workload, unitObjects) {
  let perUnit = usesCache.get(unitObjects);
  if (!perUnit) usesCache.set(unitObjects, perUnit = /* @__PURE__ */ new WeakMap());
  let uses = perUnit.get(workload);
  if (!uses) perUnit.set(workload, uses = findConfigMaps(workload, unitObjects));
  return uses;
}
function findConfigMaps(workload, unitObjects) {
  const specPath = podSpecPath(workload.kind);
  const spec = specPath ? asMap(getIn(workload.doc, specPath)) : void 0;
  if (!specPath || !spec) return [];
  const byName = configMapIndex(unitObjects);
  const out = [];
  const add = (name, via, path, keys) => {
    const found = typeof name === "string" ? byName.get(`${workload.namespace ?? ""}/${name}`) : void 0;
    const cm = found && closest(sourceFile(workload), found, sourceFile).at(-1);
    if (cm) out.push({ configMap: cm, via, path: [...specPath, ...path], keys });
  };
  const itemKeys = (items) => asList(items).map((i) => asString(asMap(i)?.key)).filter((k) => !!k);
  asList(spec.volumes).forEach((v, i) => {
    const vol = asMap(v);
    const cm = asMap(vol?.configMap);
    if (cm) add(cm.name, "volume", ["volumes", i, "configMap", "name"], itemKeys(cm.items));
    asList(asMap(vol?.projected)?.sources).forEach((src, j) => {
      const pcm = asMap(asMap(src)?.configMap);
      if (pcm) add(pcm.name, "projected", ["volumes", i, "projected", "sources", j, "configMap", "name"], itemKeys(pcm.items));
    });
  });
  for (const list of ["initContainers", "containers"]) {
    asList(spec[list]).forEach((c, ci) => {
      const container = asMap(c);
      asList(container?.envFrom).forEach((e, ei) => {
        const ref = asMap(asMap(e)?.configMapRef);
        if (ref) add(ref.name, "envFrom", [list, ci, "envFrom", ei, "configMapRef", "name"], []);
      });
      asList(container?.env).forEach((e, ei) => {
        const ref = asMap(asMap(asMap(e)?.valueFrom)?.configMapKeyRef);
        if (ref) add(ref.name, "env", [list, ci, "env", ei, "valueFrom", "configMapKeyRef", "name"], asString(ref.key) ? [asString(ref.key)] : []);
      });
    });
  }
  return out;
}

// src/agents/config.ts
function parseYaml(text) {
  try {
    const doc = yaml.load(text, LOAD_OPTIONS);
    if (doc === null || typeof doc !== "object") return null;
    return text.includes("&") && expandedSize(doc) > NODE_BUDGET ? null : doc;
  } catch {
    return null;
  }
}
var parsedTexts = /* @__PURE__ */ new Map();
function parseYamlOnce(text) {
  if (parsedTexts.has(text)) return parsedTexts.get(text);
  const doc = parseYaml(text);
  if (parsedTexts.size > 4096) parsedTexts.clear();
  parsedTexts.set(text, doc);
  return doc;
}
function formatOf(name, text) {
  if (/\.(river|alloy)$/i.test(name) || /^[ \t]*(discovery|prometheus|loki|otelcol)\.[a-z_.]+[ \t]+"[^"\n]*"[ \t]*\{/m.test(text)) return { format: "river", doc: null };
  if (/\.(conf|ini)$/i.test(name) || /^[ \t]*\[(SERVICE|INPUT|FILTER|OUTPUT|PARSER)\][ \t]*$/im.test(text)) return { format: "ini", doc: null };
  const doc = parseYamlOnce(text);
  return doc !== null ? { format: "yaml", doc } : { format: "ini", doc: null };
}
function innerLineOf(text, path) {
  return lineOf(text, 0, path) - 1;
}
function textConfig(workload, holder, path, name, text) {
  const { format, doc } = formatOf(name, text);
  return {
    workload,
    holder,
    path,
    name,
    format,
    text,
    doc,
    // The inner line of a path needs the embedded text parsed with `yaml` (slow): computed only when a
    // finding is reported and its line is asked for.
    locate: (inner) => {
      let line3 = inner.line;
      return {
        object: holder,
        path,
        get innerLine() {
          line3 ??= inner.path && format === "yaml" ? innerLineOf(text, inner.path) : 0;
          return line3;
        }
      };
    }
  };
}
function mapConfig(workload, path, name, doc) {
  return {
    workload,
    holder: workload,
    path,
    name,
    format: "yaml",
    text: "",
    doc,
    locate: (inner) => ({ object: workload, path: [...path, ...inner.path ?? []] })
  };
}
var configCache = /* @__PURE__ */ new WeakMap();
function agentConfigsOf(workload, unitObjects) {
  const uses = configMapsOf(workload, unitObjects);
  const known = configCache.get(workload);
  if (known && known.uses.length === uses.length && known.uses.every((u, i) => u.configMap === uses[i].configMap && u.keys.join() === uses[i].keys.join())) return known.configs;
  const configs = findConfigs(workload, uses);
  configCache.set(workload, { uses, configs });
  return configs;
}
function findConfigs(workload, uses) {
  const out = [];
  const seen = /* @__PURE__ */ new Set();
  for (const use of uses) {
    const data = asMap(use.configMap.doc.data);
    if (!data) continue;
    for (const [key, value] of Object.entries(data)) {
      const text = asString(value);
      if (text === void 0 || use.keys.length > 0 && !use.keys.includes(key)) continue;
      const id = `${use.configMap.ref}\0${key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(textConfig(workload, use.configMap, ["data", key], key, text));
    }
  }
  if (workload.kind === "OpenTelemetryCollector") {
    const config = getIn(workload.doc, ["spec", "config"]);
    if (typeof config === "string") out.push(textConfig(workload, workload, ["spec", "config"], "spec.config", config));
    else if (asMap(config)) out.push(mapConfig(workload, ["spec", "config"], "spec.config", config));
  }
  if (workload.kind === "PrometheusAgent" && asMap(workload.doc.spec)) out.push(mapConfig(workload, ["spec"], "spec", workload.doc.spec));
  const specPath = podSpecPath(workload.kind);
  const spec = specPath ? asMap(getIn(workload.doc, specPath)) : void 0;
  if (specPath && spec) {
    for (const list of ["initContainers", "containers"]) {
      asList(spec[list]).forEach((c, i) => {
        const container = asMap(c);
        if (!container) return;
        const lines = [];
        const where2 = [];
        const push = (text, at) => {
          for (const part of text.split("\n")) {
            lines.push(part);
            where2.push(at);
          }
        };
        for (const field of ["command", "args"]) {
          asList(container[field]).forEach((a, j) => {
            const s = asString(a);
            if (s !== void 0) push(s, [...specPath, list, i, field, j]);
          });
        }
        asList(container.env).forEach((e, j) => {
          const env = asMap(e);
          const name = asString(env?.name);
          const value = asString(env?.value);
          if (name && value !== void 0) push(`${name}=${value}`, [...specPath, list, i, "env", j, "value"]);
        });
        if (!lines.length) return;
        out.push({
          workload,
          holder: workload,
          path: [...specPath, list, i],
          name: `container ${asString(container.name) ?? i}`,
          format: "args",
          text: lines.join("\n"),
          doc: null,
          locate: (inner) => ({ object: workload, path: where2[inner.line ?? 0] ?? [...specPath, list, i] })
        });
      });
    }
  }
  return out;
}

// src/agents/figures.ts
function verdict3(ratio) {
  if (ratio >= SEVERITY_RATIOS.high) return "overload";
  if (ratio >= SEVERITY_RATIOS.medium) return "strains";
  return "passes";
}
function nodesText(c) {
  return `${formatCount(c.nodes)} nodes${c.nodesAssumed ? ", assumed" : ""}`;
}
function stagingTrap(clusters, profile, p) {
  const smallest = clusters[0];
  const largest = clusters[clusters.length - 1];
  const text = (c, first) => {
    const load2 = agentLoad(profile, c.nodes, p);
    const rate = load2.requestsPerSecond > 0 ? `, ${formatCount(Math.round(load2.requestsPerSecond))} req/s` : "";
    return `${c.name} (${nodesText(c)}): ${first ? "relist " : ""}${formatBytes(load2.relistBytes)}${rate}, ${formatRatio(load2.ratio)}${first ? " capacity" : ""} \u2014 ${verdict3(load2.ratio)}`;
  };
  if (smallest.nodes === largest.nodes) return text(largest, true);
  return `${text(smallest, true)}; ${text(largest, false)}`;
}
function fleetChart(fleet, reached, profile, p) {
  const sizes = [...new Set([...fleet.clusters, ...reached].map((c) => c.nodes))].sort((a, b) => a - b);
  return sizes.map((nodes) => ({ nodes, ratio: agentLoad(profile, nodes, p).ratio }));
}
function loadRows(clusters, profile, p) {
  return clusters.map((c) => {
    const l = agentLoad(profile, c.nodes, p);
    return { cluster: c.name, nodes: c.nodes, nodesAssumed: c.nodesAssumed, relistBytes: l.relistBytes, requestsPerSecond: l.requestsPerSecond, ratio: l.ratio };
  });
}

// src/agents/kit.ts
var unitIndex = /* @__PURE__ */ new WeakMap();
function objectsByUnit(objects) {
  let units = unitIndex.get(objects);
  if (!units) {
    units = /* @__PURE__ */ new Map();
    for (const o of objects) (units.get(o.unit) ?? units.set(o.unit, []).get(o.unit)).push(o);
    unitIndex.set(objects, units);
  }
  return units;
}
function describeWorkload(o) {
  return `${o.kind} ${quote(o.namespace ? `${o.namespace}/${o.name}` : o.name)}`;
}
var detectionCache = /* @__PURE__ */ new WeakMap();
function detect(config, detector11) {
  let perConfig = detectionCache.get(config);
  if (!perConfig) detectionCache.set(config, perConfig = /* @__PURE__ */ new Map());
  let found = perConfig.get(detector11);
  if (!found) perConfig.set(detector11, found = detector11(config));
  return found;
}
var agents = /* @__PURE__ */ new WeakMap();
function isAgent(o) {
  let yes = agents.get(o);
  if (yes === void 0) agents.set(o, yes = perNode(o) !== void 0 && !isNodeInfrastructure(o));
  return yes;
}
var agentLists = /* @__PURE__ */ new WeakMap();
function agentsIn(objects) {
  let list = agentLists.get(objects);
  if (!list) agentLists.set(objects, list = objects.filter(isAgent));
  return list;
}
function detectionsOf(workload, unitObjects, detectors) {
  if (!isAgent(workload)) return [];
  const out = [];
  for (const config of agentConfigsOf(workload, unitObjects)) for (const detector11 of detectors) for (const d of detect(config, detector11)) out.push({ config, d });
  return out;
}
function configScope(workload, unitObjects, detectors) {
  let node2;
  for (const { config, d } of detectionsOf(workload, unitObjects, detectors)) {
    const scaling = d.reads.filter((r) => isNodeScaling(r.resource));
    const wide = scaling.find((r) => r.scope === "cluster");
    if (wide) return { scope: "cluster", because: `${config.holder.kind} ${quote(config.holder.name)} ${quote(config.name)}: ${d.what}` };
    if (scaling.length && !node2) node2 = `${config.holder.kind} ${quote(config.holder.name)} ${quote(config.name)}: ${d.what}`;
  }
  return node2 ? { scope: "node", because: node2 } : void 0;
}
function reportDetections(ctx, detector11) {
  const params = loadParams(ctx.config);
  const groups = /* @__PURE__ */ new Map();
  const ids = /* @__PURE__ */ new Map();
  const idOf = (x) => ids.get(x) ?? (ids.set(x, ids.size), ids.size - 1);
  for (const objects of objectsByUnit(ctx.tree.objects).values()) {
    for (const workload of agentsIn(objects)) {
      if (ctx.only && !ctx.only.has(workload.ref)) continue;
      for (const { config, d } of detectionsOf(workload, objects, [detector11])) {
        if (d.quiet) continue;
        const at = d.at.object.source ?? d.at.object;
        const id = [idOf(workload.source ?? workload), workload.ref, idOf(at), (d.at.path ?? []).join("."), d.what, d.key, JSON.stringify([d.reads, d.poll, d.leaderElection, d.severity, d.maxSeverity])].join("\0");
        (groups.get(id) ?? groups.set(id, []).get(id)).push({ workload, config, d });
      }
    }
  }
  for (const group of groups.values()) {
    const { workload, config, d } = group[0];
    const clusters = [...new Set(group.flatMap((g) => ctx.fleet.clustersOfObject(g.workload, ctx.side)))].map((n) => ctx.fleet.cluster(n)).filter((c) => c !== void 0).sort((a, b) => a.nodes - b.nodes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (!clusters.length) continue;
    const memoKey = `${workload.ref}\0${clusters.map((c) => c.name).join()}`;
    let perConfig = findingMemo.get(ctx.config);
    if (!perConfig) findingMemo.set(ctx.config, perConfig = /* @__PURE__ */ new WeakMap());
    let perDetection = perConfig.get(d);
    if (!perDetection) perConfig.set(d, perDetection = /* @__PURE__ */ new Map());
    const known = perDetection.get(memoKey);
    if (known && known.about === workload) {
      ctx.report(known);
      continue;
    }
    const profile = { watches: d.reads, ...d.poll ? { poll: d.poll } : {}, ...d.leaderElection ? { leaderElection: true } : {} };
    const largest = clusters[clusters.length - 1];
    const load2 = agentLoad(profile, largest.nodes, params);
    let severity = d.severity ?? severityForRatio(load2.ratio);
    if (!d.severity && d.maxSeverity && levelRank(severity) > levelRank(d.maxSeverity)) severity = d.maxSeverity;
    const where2 = config.holder === workload ? quote(config.name) : `${config.holder.kind} ${quote(config.holder.name)} key ${quote(config.name)}`;
    const finding = {
      key: `${d.key}@${config.holder.kind}/${config.holder.name}/${config.path.join(".")}`,
      severity,
      message: `per-node agent ${describeWorkload(workload)}, config ${where2}: ${d.what}: ${stagingTrap(clusters, profile, params)}`,
      remediation: d.remediation,
      at: d.at,
      about: workload,
      clusters: clusters.map((c) => c.name),
      data: {
        reads: d.reads,
        ...d.poll ? { poll: d.poll } : {},
        leaderElection: d.leaderElection ?? false,
        // The model at every cluster size of the fleet: the Markdown report's chart.
        chart: fleetChart(ctx.fleet, clusters, profile, params),
        // Per reached cluster: what the Markdown report shows as the load table.
        load: loadRows(clusters, profile, params)
      }
    };
    perDetection.set(memoKey, finding);
    ctx.report(finding);
  }
}
var findingMemo = /* @__PURE__ */ new WeakMap();

// rules/watch-all/agent-poll-interval.ts
var REMEDIATION2 = "Poll no faster than once a second (better, watch with an informer) and scope every list to the agent's own node with a spec.nodeName field selector, or run cluster-wide collection as one Deployment.";
var REMEDIATION_WATCH = "Turn watch-all off and scope every list to the agent's own node with a spec.nodeName field selector, or run cluster-wide collection as one Deployment.";
var KIND_NAMES = (() => {
  const out = {};
  const add = (plural, ...aliases) => {
    for (const a of [plural, ...aliases]) out[a] = plural;
  };
  add("pods", "pod", "po");
  add("nodes", "node", "no");
  add("services", "service", "svc");
  add("endpoints", "endpoint", "ep");
  add("endpointslices", "endpointslice");
  add("events", "event", "ev");
  add("namespaces", "namespace", "ns");
  add("replicasets", "replicaset", "rs");
  add("deployments", "deployment", "deploy");
  add("daemonsets", "daemonset", "ds");
  add("statefulsets", "statefulset", "sts");
  add("jobs", "job");
  add("cronjobs", "cronjob", "cj");
  add("configmaps", "configmap", "cm");
  add("secrets", "secret");
  add("ingresses", "ingress", "ing");
  add("persistentvolumes", "persistentvolume", "pv");
  add("persistentvolumeclaims", "persistentvolumeclaim", "pvc");
  add("leases", "lease");
  return out;
})();
var SHORT_NAMES = /* @__PURE__ */ new Set(["po", "no", "svc", "ep", "ev", "ns", "rs", "deploy", "ds", "sts", "cj", "cm", "ing", "pv", "pvc"]);
function kindOf2(raw, allowShort = true) {
  const s = raw.trim().toLowerCase().split("/").pop().replace(/[\s_.-]/g, "");
  if (!allowShort && SHORT_NAMES.has(s)) return void 0;
  return KIND_NAMES[s];
}
var KIND_LIST_KEYS = /* @__PURE__ */ new Set([
  "resources",
  "kinds",
  "resource_types",
  "resource_kinds",
  "watch_resources",
  "watched_resources",
  "watch_kinds",
  "watched_kinds",
  "poll_resources",
  "objects",
  "object_types"
]);
var POLL_KEY = /(^|_)(poll|polling|resync|relist|sync|list)_(interval|period|frequency|freq|every)(_(ms|millis|milliseconds|s|sec|secs|seconds|min|mins|minutes))?$/;
var API_INTERVAL_KEY = /(^|_)(api|apiserver|api_server|kube_api|k8s_api|kubernetes_api)_(\w+_)?(scrape|collection|collect|query|refresh)_(interval|period|frequency)(_(ms|millis|milliseconds|s|sec|secs|seconds|min|mins|minutes))?$/;
function snake(key) {
  return key.replace(/^-+/, "").replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[-.\s]+/g, "_").toLowerCase();
}
var GO_DURATION = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
var UNIT_MS = { ns: 1e-6, us: 1e-3, \u00B5s: 1e-3, \u03BCs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 36e5 };
function suffixMs(norm) {
  if (/_(ms|millis|milliseconds)$/.test(norm)) return 1;
  if (/_(min|mins|minutes)$/.test(norm)) return 6e4;
  return 1e3;
}
function durationMs(value, key) {
  if (typeof value === "number") return Number.isFinite(value) ? value * suffixMs(snake(key)) : void 0;
  if (typeof value !== "string") return void 0;
  const s = value.trim().replace(/^["']|["']$/g, "");
  if (/^(\d+(\.\d*)?|\.\d+)$/.test(s)) return Number(s) * suffixMs(snake(key));
  let rest = s;
  let total = 0;
  if (!rest) return void 0;
  while (rest) {
    const m = GO_DURATION.exec(rest);
    if (!m) return void 0;
    total += Number(m[1]) * UNIT_MS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}
var truthy = (v) => v === true || typeof v === "string" && /^(true|yes|on|1)$/i.test(v.trim().replace(/^["']|["']$/g, "")) || v === 1;
function show(key, value) {
  const v = Array.isArray(value) ? `[${value.join(", ")}]` : String(value);
  return JSON.stringify(`${key}: ${v}`);
}
function yamlEntries(config) {
  const out = [];
  walk(config.doc, (value, path) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    const group = path.join("\0");
    for (const [key, v] of Object.entries(value)) {
      let scalar;
      if (Array.isArray(v)) {
        const items = v.map(asString);
        if (items.some((i) => i === void 0)) continue;
        scalar = items;
      } else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") scalar = v;
      else continue;
      out.push({ key, norm: snake(key), value: scalar, group, text: show(key, scalar), at: config.locate({ path: [...path, key] }) });
    }
  });
  return out;
}
function unquote(s) {
  const t = s.trim();
  return /^(".*"|'.*')$/.test(t) ? t.slice(1, -1) : t;
}
function textValue(raw) {
  let v = raw.trim();
  if (!/^["']/.test(v)) v = v.replace(/\s(#|;|\/\/).*$/, "").trim();
  else {
    const q = v[0];
    const end = v.indexOf(q, 1);
    if (end > 0) return v.slice(1, end);
  }
  if (/^\[.*\]$/.test(v)) return v.slice(1, -1).split(",").map(unquote).filter((x) => x.length > 0);
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  if (/^-?(\d+(\.\d*)?|\.\d+)$/.test(v)) return Number(v);
  return v;
}
function textEntries(config) {
  const out = [];
  const blocks = [];
  let section = "";
  config.text.split("\n").forEach((line3, i) => {
    const t = line3.trim();
    if (!t || /^(#|;|\/\/)/.test(t)) return;
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?$/.exec(t);
    if (header) {
      section = header[1];
      blocks.length = 0;
      return;
    }
    const open = /^([A-Za-z_][\w.]*)(\s+"[^"]*")?\s*\{\s*$/.exec(t);
    if (open) {
      blocks.push(`${open[1]}${open[2] ?? ""}#${i}`);
      return;
    }
    if (/^\}/.test(t)) {
      blocks.pop();
      return;
    }
    const kv = /^([A-Za-z_][\w.-]*)\s*[=:]\s*(.*)$/.exec(t);
    if (!kv) return;
    const value = textValue(kv[2]);
    out.push({ key: kv[1], norm: snake(kv[1]), value, group: [section, ...blocks].join("\0"), text: show(kv[1], value), at: config.locate({ line: i }) });
  });
  return out;
}
function argEntries(config) {
  const out = [];
  const lines = config.text.split("\n");
  lines.forEach((line3, i) => {
    const flag = /^--?([A-Za-z][\w.-]*)(?:=(.*))?$/.exec(line3.trim());
    if (flag) {
      let value = flag[2] ?? "true";
      let text = line3.trim();
      const next = lines[i + 1]?.trim();
      if (flag[2] === void 0 && next !== void 0 && next !== "" && !next.startsWith("-") && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(next)) {
        value = next;
        text = `${line3.trim()} ${next}`;
      }
      out.push({ key: flag[1], norm: snake(flag[1]), value: unquote(value), group: "", text: JSON.stringify(text), at: config.locate({ line: i }) });
      return;
    }
    const env = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line3);
    if (env) out.push({ key: env[1], norm: snake(env[1]), value: env[2], group: "", text: JSON.stringify(line3), at: config.locate({ line: i }) });
  });
  return out;
}
function entriesOf(config) {
  if (config.format === "args") return argEntries(config);
  if (config.format === "yaml" && config.doc !== null) return yamlEntries(config);
  const entries = textEntries(config);
  const single = config.text.trim();
  if (!entries.length && config.holder.kind === "ConfigMap" && single && !single.includes("\n") && /^[A-Za-z_][\w.-]*$/.test(config.name)) {
    const value = textValue(single);
    return [{ key: config.name, norm: snake(config.name), value, group: "", text: show(config.name, value), at: config.locate({ line: 0 }) }];
  }
  return entries;
}
function kindList(e) {
  if (!KIND_LIST_KEYS.has(e.norm)) return void 0;
  const items = Array.isArray(e.value) ? e.value : typeof e.value === "string" ? e.value.split(",") : [];
  const kinds = items.map((i) => kindOf2(i)).filter((k) => k !== void 0);
  return kinds.length ? kinds : void 0;
}
function kindsInKey(norm) {
  return norm.split("_").map((t) => kindOf2(t, false)).filter((k) => k !== void 0);
}
function watchAll(e) {
  const m = /^watch_all_(\w+)$/.exec(e.norm);
  if (m) {
    if (!truthy(e.value)) return void 0;
    const kind = m[1] === "namespaces" ? void 0 : kindOf2(m[1], false);
    return { kind: kind ?? null };
  }
  if (e.norm === "watch_all" && truthy(e.value)) return { kind: null };
  if (e.norm === "watch" && typeof e.value === "string" && e.value.trim().toLowerCase() === "all") return { kind: null };
  return void 0;
}
var NOT_API = /(^|_)(iptables|ipvs|nftables|conntrack|route|routes|arp|xdp|bpf)(_|$)/;
function isIntervalKey(norm) {
  return (POLL_KEY.test(norm) || API_INTERVAL_KEY.test(norm)) && !NOT_API.test(norm);
}
function nodeFilter(config) {
  let text = config.text;
  if (!text) {
    try {
      text = JSON.stringify(config.doc) ?? "";
    } catch {
      text = "";
    }
  }
  return /spec\.nodeName\s*=/.test(text);
}
var uniq = (xs) => [...new Set(xs)];
function formatMs(ms) {
  return ms >= 1 ? `${Number(ms.toFixed(3))} ms` : `${Number((ms * 1e3).toFixed(3))} \xB5s`;
}
var MENTIONS = /(poll|resync|relist|sync|list)[\w.-]{0,40}?(interval|period|frequency|every)|watch[_-]?all|watch[ \t]*[:=][ \t]*["']?all|api_?server[\w.-]{0,40}?interval/i;
var detector = (config) => {
  if (config.text && !MENTIONS.test(config.text) && !MENTIONS.test(config.name)) return [];
  const entries = entriesOf(config);
  if (!entries.length) return [];
  const watches = entries.map((e) => ({ e, w: watchAll(e) })).filter((x) => x.w !== void 0);
  const intervals = entries.filter((e) => isIntervalKey(e.norm)).map((e) => ({ e, ms: durationMs(e.value, e.key) })).filter((x) => x.ms !== void 0 && x.ms > 0);
  const fast = intervals.filter((x) => x.ms < 1e3).sort((a, b) => a.ms - b.ms);
  const filtered = nodeFilter(config);
  if (!watches.length && !fast.length) {
    const off = entries.some((e) => /^watch_all(_\w+)?$/.test(e.norm)) || intervals.length > 0;
    if (!off || !filtered) return [];
    const at = entries.find((e) => /spec\.nodeName\s*=/.test(String(e.value))) ?? entries[0];
    return [
      {
        key: "node-scoped",
        what: `${at.text} bounds the agent's lists to its own node`,
        reads: [{ resource: "pods", scope: "node" }],
        remediation: REMEDIATION2,
        at: at.at,
        quiet: true
      }
    ];
  }
  const triggerGroups = /* @__PURE__ */ new Set([...watches.map((x) => x.e.group), ...fast.map((x) => x.e.group)]);
  const lists = entries.map((e) => ({ e, kinds: kindList(e) })).filter((x) => x.kinds !== void 0);
  const near = lists.filter((x) => triggerGroups.has(x.e.group));
  const listed = uniq((near.length ? near : lists).flatMap((x) => x.kinds));
  const named = uniq(watches.flatMap((x) => x.w.kind ? [x.w.kind] : []));
  const generic = watches.some((x) => x.w.kind === null);
  const configKinds = uniq([...named, ...listed]);
  const wide = uniq([...named, ...generic ? listed.length ? listed : named.length ? [] : ["pods"] : []]);
  const reads = wide.map((resource2) => ({ resource: resource2, scope: "cluster" }));
  const watchText = watches.length ? `${listing(watches.map((x) => x.e.text))} ${watches.length > 1 ? "read" : "reads"} ${listing(wide)} cluster-wide from every node` : "";
  if (fast.length) {
    const chosen = fast[0];
    const inKey = kindsInKey(chosen.e.norm);
    const polled = inKey.length ? uniq(inKey) : configKinds.length ? configKinds : ["pods"];
    if (!watches.length && filtered) {
      for (const k of polled) if (k === "pods" || k === "nodes") reads.push({ resource: k, scope: "node" });
    }
    const scopeText = watches.length ? `; ${watchText}` : filtered ? "; its lists carry a spec.nodeName field selector, so only the rate grows with the cluster" : "; nothing in the config shows what scope the lists have";
    const detection = {
      key: `poll-interval:${chosen.e.key}`,
      what: `${chosen.e.text} polls ${listing(polled)} every ${formatMs(chosen.ms)} (sub-second) from every node, ${polled.length} ${polled.length === 1 ? "request" : "requests"} per interval per agent${scopeText}`,
      reads,
      poll: { intervalMs: chosen.ms, kinds: polled.length },
      remediation: REMEDIATION2,
      at: chosen.e.at
    };
    return [detection];
  }
  const first = watches[0];
  return [
    {
      key: `watch-all:${first.e.key}`,
      what: watchText,
      reads,
      remediation: REMEDIATION_WATCH,
      at: first.e.at
    }
  ];
};
var agentPollInterval = {
  meta: {
    id: "watch-all/agent-poll-interval",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag generic per-node agent configs that watch everything cluster-wide (watch_all_*, watch: all) or poll the API server faster than once a second, with severity from the load model at the largest reached cluster.",
    docs: "docs/rules/watch-all/agent-poll-interval.md",
    remediation: REMEDIATION2
  },
  check(ctx) {
    reportDetections(ctx, detector);
  }
};

// rules/watch-all/prometheus-sd.ts
var SD_ROLES = ["pod", "endpoints", "endpointslice", "service", "ingress", "node"];
function isSdRole(s) {
  return s !== void 0 && SD_ROLES.includes(s);
}
var NAMESPACED = /* @__PURE__ */ new Set(["pod", "endpoints", "endpointslice", "service", "ingress"]);
function sdReads(s) {
  const pods = { resource: "pods", scope: s.podNodeScoped ? "node" : "cluster" };
  const nodes = { resource: "nodes", scope: s.nodeNameScoped ? "node" : "cluster" };
  const attached = s.attachNode ? [nodes] : [];
  switch (s.role) {
    case "pod":
      return [pods, ...attached];
    case "endpoints":
      return [{ resource: "endpoints", scope: "cluster" }, { resource: "services", scope: "cluster" }, pods, ...attached];
    case "endpointslice":
      return [{ resource: "endpointslices", scope: "cluster" }, { resource: "services", scope: "cluster" }, pods, ...attached];
    case "service":
      return [{ resource: "services", scope: "cluster" }];
    case "ingress":
      return [{ resource: "ingresses", scope: "cluster" }];
    case "node":
      return [nodes];
  }
}
function fieldNames(field, key, more = false) {
  const re = key === "spec.nodeName" ? /(?:^|,)\s*spec\.nodeName\s*==?\s*([^,]*)/ : /(?:^|,)\s*metadata\.name\s*==?\s*([^,]*)/;
  const m = re.exec(field);
  return m !== null && (m[1].trim() !== "" || more);
}
function listing2(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
function lowerCap(a, b) {
  if (!a) return b;
  if (!b) return a;
  return levelRank(a) <= levelRank(b) ? a : b;
}
var NODE_META_LABELS = /* @__PURE__ */ new Set([
  "__meta_kubernetes_pod_node_name",
  "__meta_kubernetes_endpoint_node_name",
  "__meta_kubernetes_endpointslice_endpoint_node_name",
  "__meta_kubernetes_node_name"
]);
function isNodeMetaLabel(label) {
  return NODE_META_LABELS.has(label);
}
function relabelNodeKeep(relabel) {
  for (const r of asList(relabel)) {
    const m = asMap(r);
    if ((asString(m?.action) ?? "replace").trim().toLowerCase() !== "keep") continue;
    const label = asStrings(m?.source_labels).find(isNodeMetaLabel);
    if (label) return label;
  }
  return void 0;
}
var NOTES = {
  relabel: (label, where2) => `${where2} keep on ${quote(label)} drops other nodes' targets only after discovery, so the API servers still send every object to every replica`,
  namespaces: (ns, field) => `${field} ${listing2(ns.map(quote))} lowers the count but not its growth with nodes (capped at high)`,
  clustering: "clustering { enabled = true } shares scrape targets among replicas, not discovery: every replica still lists and watches"
};
function widely(reads) {
  return [...new Set(reads.filter((r) => r.scope === "cluster").map((r) => r.resource))];
}
function whyWide(s, syntax) {
  const podSel = syntax === "yaml" ? 'no selectors entry {role: pod, field: "spec.nodeName=<node>"}' : 'no selectors block with role = "pod" and field = "spec.nodeName=" + sys.env("HOSTNAME")';
  const nodeSel = syntax === "yaml" ? 'no selectors entry {role: node, field: "metadata.name=<node>"}' : 'no selectors block with role = "node" and field = "metadata.name=" + sys.env("HOSTNAME")';
  switch (s.role) {
    case "pod":
      return podSel;
    case "endpoints":
    case "endpointslice":
      return `${s.role === "endpoints" ? "endpoints" : "endpointslices"} cannot be bounded to a node, and discovery also lists the services${s.podNodeScoped ? "" : " and pods"} they point at`;
    case "service":
    case "ingress":
      return `${s.role === "service" ? "services" : "ingresses"} cannot be bounded to a node`;
    case "node":
      return nodeSel;
  }
}
function remediationFor(s, tool) {
  const central = tool === "prometheus" ? "one central Prometheus (a Deployment or StatefulSet)" : "one clustered Alloy Deployment or StatefulSet";
  switch (s.role) {
    case "pod":
      return tool === "prometheus" ? `Add selectors: [{role: pod, field: "spec.nodeName=<node>"}] to this kubernetes_sd_configs entry, with the node name rendered from the downward API at deploy time, or discover pods from ${central} instead of every node.` : `Add selectors { role = "pod", field = "spec.nodeName=" + sys.env("HOSTNAME") } to this discovery.kubernetes block (HOSTNAME from fieldRef spec.nodeName), or discover pods from ${central} instead of every node.`;
    case "node":
      return tool === "prometheus" ? `Add selectors: [{role: node, field: "metadata.name=<node>"}] to this kubernetes_sd_configs entry, or discover nodes from ${central} instead of every node.` : `Add selectors { role = "node", field = "metadata.name=" + sys.env("HOSTNAME") } to this discovery.kubernetes block, or discover nodes from ${central} instead of every node.`;
    default:
      return `Move this ${s.role} discovery to ${central}, and keep only node-scoped pod discovery in the per-node agent.`;
  }
}
var ATTACH_REMEDIATION = "Add a node selector with field metadata.name=<node> next to attach_metadata node, or turn attach_metadata node off.";
function sdDetection(args) {
  const { shape, key, where: where2, notes } = args;
  const reads = sdReads(shape);
  const wide = widely(reads);
  if (!wide.length) {
    return { key, what: `${where2} lists ${shape.role === "node" ? "its own node only" : `pods of its own node only (${args.scopedBy})`}`, reads, remediation: remediationFor(shape, args.tool), at: args.at, quiet: true };
  }
  let cap = args.cap;
  const extra = [...notes];
  if (shape.role === "pod" && wide.length === 1 && wide[0] === "nodes" && shape.attachNode) {
    return {
      key: `${key}.attach_metadata.node`,
      what: `${where2} lists pods of its own node, but attach_metadata node watches nodes cluster-wide: ${args.syntax === "yaml" ? 'no selectors entry {role: node, field: "metadata.name=<node>"}' : 'no selectors block with role = "node" and field = "metadata.name=\u2026"'}${extra.length ? `; ${extra.join("; ")}` : ""}`,
      reads,
      maxSeverity: lowerCap(cap, "medium"),
      remediation: ATTACH_REMEDIATION,
      at: args.attachAt
    };
  }
  if (shape.namespaces.length && NAMESPACED.has(shape.role)) {
    extra.push(NOTES.namespaces(shape.namespaces, args.syntax === "yaml" ? "namespaces.names" : "namespaces { names }"));
    cap = lowerCap(cap, "high");
  }
  if (shape.attachNode && !shape.nodeNameScoped) extra.push("attach_metadata node adds a cluster-wide node watch");
  const what = `${where2} lists and watches ${listing2(wide)} cluster-wide: ${args.reason ?? whyWide(shape, args.syntax)}${extra.length ? `; ${extra.join("; ")}` : ""}`;
  return { key, what, reads, ...cap ? { maxSeverity: cap } : {}, remediation: args.remediation ?? remediationFor(shape, args.tool), at: args.at };
}
var PROMTAIL_IMAGE = /(^|\/)promtail([:@]|$)/;
function runsPromtail(workload) {
  const spec = getIn(workload.doc, ["spec", "template", "spec"]);
  for (const field of ["containers", "initContainers"]) {
    for (const c of asList(getIn(spec, [field]))) {
      const image = asString(getIn(c, ["image"]));
      if (image && PROMTAIL_IMAGE.test(image)) return true;
    }
  }
  return false;
}
function namespacesOf(sd) {
  const ns = asMap(sd.namespaces);
  if (!ns) return [];
  const names = asStrings(ns.names).filter((n) => n.trim() !== "");
  return getIn(ns, ["own_namespace"]) === true ? [...names, "(own namespace)"] : names;
}
function shapeOf(sd, role) {
  let podNodeScoped = false;
  let nodeNameScoped = false;
  for (const s of asList(sd.selectors)) {
    const m = asMap(s);
    const field = asString(m?.field) ?? "";
    const sRole = asString(m?.role)?.trim();
    if (sRole === "pod" && fieldNames(field, "spec.nodeName")) podNodeScoped = true;
    if (sRole === "node" && fieldNames(field, "metadata.name")) nodeNameScoped = true;
  }
  return { role, podNodeScoped, nodeNameScoped, attachNode: getIn(sd, ["attach_metadata", "node"]) === true, namespaces: namespacesOf(sd) };
}
function prefixKey(doc, path) {
  return path.map((step, k) => typeof step === "number" ? `[${asString(getIn(doc, [...path.slice(0, k + 1), "name"])) ?? step}]` : (k ? "." : "") + step).join("");
}
function scrapeConfigs(config, list, path, promtail) {
  const groups = /* @__PURE__ */ new Map();
  list.forEach((job, i) => {
    const jobMap = asMap(job);
    if (!jobMap) return;
    const name = asString(jobMap.job_name) ?? `#${i + 1}`;
    const relabel = relabelNodeKeep(jobMap.relabel_configs);
    asList(jobMap.kubernetes_sd_configs).forEach((s, j) => {
      const sd = asMap(s);
      const role = asString(sd?.role)?.trim();
      if (!sd || !isSdRole(role)) return;
      let id;
      try {
        id = JSON.stringify(sd);
      } catch {
        id = `${i}/${j}`;
      }
      const entry = { job: name, i, j, sd, role, ...relabel ? { relabel } : {} };
      (groups.get(id) ?? groups.set(id, []).get(id)).push(entry);
    });
  });
  const prefix = prefixKey(config.doc, path);
  const keys = /* @__PURE__ */ new Map();
  const out = [];
  for (const entries of groups.values()) {
    const first = entries[0];
    const shape = shapeOf(first.sd, first.role);
    const ownSelectors = asList(first.sd.selectors).length > 0;
    if (promtail && first.role === "pod" && !ownSelectors) shape.podNodeScoped = true;
    const jobs = [...new Set(entries.map((e) => e.job))];
    let key = `${prefix}/${first.job}/${first.role}`;
    const n = (keys.get(key) ?? 0) + 1;
    keys.set(key, n);
    if (n > 1) key += `#${n}`;
    const where2 = `${promtail ? "Promtail " : ""}scrape_configs job ${quote(first.job)}${jobs.length > 1 ? ` (shared with ${listing2(jobs.slice(1).map(quote))})` : ""} kubernetes_sd_configs role ${quote(first.role)}`;
    const relabel = entries.find((e) => e.relabel)?.relabel;
    const at = config.locate({ path: [...path, first.i, "kubernetes_sd_configs", first.j, "role"] });
    const attachAt = config.locate({ path: [...path, first.i, "kubernetes_sd_configs", first.j, "attach_metadata", "node"] });
    const promtailOwn = promtail && first.role === "pod" && ownSelectors && !shape.podNodeScoped;
    out.push(
      sdDetection({
        shape,
        key,
        where: where2,
        syntax: "yaml",
        tool: "prometheus",
        at,
        attachAt,
        scopedBy: promtail && !ownSelectors ? "Promtail adds spec.nodeName=$HOSTNAME to it" : "selectors field spec.nodeName",
        notes: relabel ? [NOTES.relabel(relabel, "relabel_configs")] : [],
        ...promtailOwn ? {
          reason: "Promtail adds its spec.nodeName selector only to pod discovery without selectors, and these selectors name no node",
          remediation: 'Add field: "spec.nodeName=${HOSTNAME}" to the pod selector (with -config.expand-env=true), or remove the selectors so Promtail adds its own.'
        } : {},
        // Promtail's roles other than pod: SCALE-PT-2 (WARN).
        ...promtail && first.role !== "pod" ? { cap: "medium" } : {}
      })
    );
  }
  return out;
}
var detector2 = (config) => {
  if (config.format !== "yaml" || asMap(config.doc) === void 0) return [];
  if (config.workload.kind === "OpenTelemetryCollector" && getIn(config.workload.doc, ["spec", "targetAllocator", "enabled"]) === true) return [];
  const out = [];
  const promtailImage = runsPromtail(config.workload);
  walk(config.doc, (value, path) => {
    if (!path.length || path[path.length - 1] !== "scrape_configs" || !Array.isArray(value)) return;
    const parent = asMap(getIn(config.doc, path.slice(0, -1)));
    const promtail = promtailImage || ["positions", "clients", "client"].some((k) => parent?.[k] !== void 0);
    out.push(...scrapeConfigs(config, value, path, promtail));
    return "skip";
  });
  return out;
};
var REMEDIATION3 = 'Scope pod discovery of a per-node agent to its node with a {role: pod, field: "spec.nodeName=<node>"} selector, and move endpoints, service, ingress and node discovery to a central Prometheus.';
var prometheusSd = {
  meta: {
    id: "watch-all/prometheus-sd",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag Prometheus kubernetes_sd_configs in per-node agents (Prometheus or Grafana Agent as a DaemonSet, OpenTelemetry prometheus receivers, Promtail) that list and watch pods, endpoints, services, ingresses or nodes cluster-wide, with severity from the load model.",
    docs: "docs/rules/watch-all/prometheus-sd.md",
    remediation: REMEDIATION3
  },
  check(ctx) {
    reportDetections(ctx, detector2);
  }
};

// rules/watch-all/alloy-discovery.ts
var IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
var NUMBER = /[0-9][0-9A-Za-z_.]*/y;
var TWO_CHAR = /* @__PURE__ */ new Set(["==", "!=", "<=", ">=", "&&", "||"]);
var ESCAPES = { n: "\n", t: "	", r: "\r", '"': '"', "\\": "\\" };
function tokenize2(text) {
  const out = [];
  let i = 0;
  let line3 = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === "\n") {
      out.push({ kind: "newline", text: "\n", line: line3, start: i, end: i + 1 });
      line3++;
      i++;
    } else if (c === " " || c === "	" || c === "\r" || c === "\f" || c === "\v") {
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const startLine = line3;
      const start = i;
      i += 2;
      while (i < n && !(text[i] === "*" && text[i + 1] === "/")) {
        if (text[i] === "\n") line3++;
        i++;
      }
      i = Math.min(n, i + 2);
      if (line3 > startLine) out.push({ kind: "newline", text: "\n", line: startLine, start, end: i });
    } else if (c === '"') {
      const start = i;
      let value = "";
      i++;
      while (i < n && text[i] !== '"' && text[i] !== "\n") {
        if (text[i] === "\\" && i + 1 < n && text[i + 1] !== "\n") {
          value += ESCAPES[text[i + 1]] ?? text[i + 1];
          i += 2;
        } else value += text[i++];
      }
      if (text[i] === '"') i++;
      out.push({ kind: "string", text: text.slice(start, i), value, line: line3, start, end: i });
    } else if (c === "`") {
      const start = i;
      const startLine = line3;
      i++;
      while (i < n && text[i] !== "`") {
        if (text[i] === "\n") line3++;
        i++;
      }
      const value = text.slice(start + 1, i);
      if (i < n) i++;
      out.push({ kind: "string", text: text.slice(start, i), value, line: startLine, start, end: i });
    } else {
      IDENT.lastIndex = i;
      NUMBER.lastIndex = i;
      const id = IDENT.exec(text);
      const num = id ? null : NUMBER.exec(text);
      if (id) {
        out.push({ kind: "ident", text: id[0], line: line3, start: i, end: i + id[0].length });
        i += id[0].length;
      } else if (num) {
        out.push({ kind: "number", text: num[0], line: line3, start: i, end: i + num[0].length });
        i += num[0].length;
      } else {
        const two = text.slice(i, i + 2);
        const p = TWO_CHAR.has(two) ? two : c;
        out.push({ kind: "punct", text: p, line: line3, start: i, end: i + p.length });
        i += p.length;
      }
    }
  }
  return out;
}
var OPENERS = /* @__PURE__ */ new Set(["(", "[", "{"]);
var CLOSERS = /* @__PURE__ */ new Set([")", "]", "}"]);
var CONTINUES = /* @__PURE__ */ new Set(["+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">=", "&&", "||", "!", ",", "?", ":", "="]);
var MAX_DEPTH4 = 64;
function scanRiver(text) {
  const toks = tokenize2(text);
  const root = { name: "", line: 0, attrs: /* @__PURE__ */ new Map(), blocks: [] };
  const stack = [root];
  let skipDepth = 0;
  let i = 0;
  while (i < toks.length) {
    const t = toks[i];
    if (skipDepth > 0) {
      if (t.kind === "punct" && t.text === "{") skipDepth++;
      else if (t.kind === "punct" && t.text === "}") skipDepth--;
      i++;
      continue;
    }
    if (t.kind === "punct" && t.text === "}") {
      if (stack.length > 1) stack.pop();
      i++;
      continue;
    }
    if (t.kind !== "ident") {
      i++;
      continue;
    }
    const next = toks[i + 1];
    const current = stack[stack.length - 1];
    if (next?.kind === "punct" && next.text === "=") {
      let j = i + 2;
      let depth = 0;
      const start = j;
      while (j < toks.length) {
        const e = toks[j];
        if (e.kind === "newline") {
          const prev = toks[j - 1];
          if (depth === 0 && j > start && !(prev.kind === "punct" && (CONTINUES.has(prev.text) || OPENERS.has(prev.text)))) break;
          j++;
          continue;
        }
        if (e.kind === "punct" && OPENERS.has(e.text)) depth++;
        else if (e.kind === "punct" && CLOSERS.has(e.text)) {
          if (depth === 0) break;
          depth--;
        }
        j++;
      }
      const expr = toks.slice(start, j).filter((e) => e.kind !== "newline");
      const strings = expr.filter((e) => e.kind === "string").map((e) => e.value ?? "");
      const value = {
        text: expr.length ? text.slice(expr[0].start, expr[expr.length - 1].end) : "",
        strings,
        ...expr.length === 1 && expr[0].kind === "string" ? { string: expr[0].value ?? "" } : {},
        tokens: expr.length,
        line: t.line
      };
      current.attrs.set(t.text, value);
      i = j;
      continue;
    }
    const labelled = next?.kind === "string" && toks[i + 2]?.kind === "punct" && toks[i + 2].text === "{";
    if (labelled || next?.kind === "punct" && next.text === "{") {
      i += labelled ? 3 : 2;
      if (stack.length > MAX_DEPTH4) {
        skipDepth = 1;
        continue;
      }
      const block = { name: t.text, ...labelled ? { label: next.value ?? "" } : {}, line: t.line, attrs: /* @__PURE__ */ new Map(), blocks: [] };
      current.blocks.push(block);
      stack.push(block);
      continue;
    }
    i++;
  }
  return root;
}
function allBlocks(root) {
  const out = [];
  const todo = [...root.blocks].reverse();
  while (todo.length) {
    const b = todo.pop();
    out.push(b);
    for (let k = b.blocks.length - 1; k >= 0; k--) todo.push(b.blocks[k]);
  }
  return out;
}
var isTrue = (v) => v?.text.trim() === "true";
function scopes(v, key) {
  if (!v) return false;
  return v.strings.some((s) => fieldNames(s, key, v.tokens > 1));
}
function listStrings(v) {
  return v ? v.strings.filter((s) => s.trim() !== "") : [];
}
function shapeOf2(block, role) {
  let podNodeScoped = false;
  let nodeNameScoped = false;
  for (const s of block.blocks) {
    if (s.name !== "selectors") continue;
    const sRole = s.attrs.get("role")?.string?.trim();
    if (sRole === "pod" && scopes(s.attrs.get("field"), "spec.nodeName")) podNodeScoped = true;
    if (sRole === "node" && scopes(s.attrs.get("field"), "metadata.name")) nodeNameScoped = true;
  }
  const ns = block.blocks.find((b) => b.name === "namespaces");
  const namespaces = ns ? [...listStrings(ns.attrs.get("names")), ...isTrue(ns.attrs.get("own_namespace")) ? ["(own namespace)"] : []] : [];
  const attach = block.blocks.find((b) => b.name === "attach_metadata");
  return { role, podNodeScoped, nodeNameScoped, attachNode: isTrue(attach?.attrs.get("node")), namespaces };
}
function relabelKeep(blocks, label) {
  const ref = new RegExp(`\\bdiscovery\\.kubernetes\\.${label.replace(/[^A-Za-z0-9_]/g, "\\$&")}\\.targets\\b`);
  for (const b of blocks) {
    if (b.name !== "discovery.relabel" || !ref.test(b.attrs.get("targets")?.text ?? "")) continue;
    for (const rule of b.blocks) {
      if (rule.name !== "rule" || rule.attrs.get("action")?.string?.trim().toLowerCase() !== "keep") continue;
      const hit = rule.attrs.get("source_labels")?.strings.find(isNodeMetaLabel);
      if (hit) return hit;
    }
  }
  return void 0;
}
var EVENTS_REMEDIATION = "Move loki.source.kubernetes_events to a single-replica Alloy Deployment, and keep only node-local sources in the DaemonSet.";
var detector3 = (config) => {
  if (config.format !== "river" || !config.text) return [];
  const blocks = allBlocks(scanRiver(config.text));
  const clustering = blocks.some((b) => b.name === "clustering" && isTrue(b.attrs.get("enabled")));
  const out = [];
  for (const b of blocks) {
    const label = b.label ?? "";
    if (b.name === "discovery.kubernetes") {
      const role = b.attrs.get("role")?.string?.trim();
      if (!isSdRole(role)) continue;
      const shape = shapeOf2(b, role);
      const relabel = relabelKeep(blocks, label);
      const at = config.locate({ line: b.line });
      const attach = b.blocks.find((x) => x.name === "attach_metadata");
      out.push(
        sdDetection({
          shape,
          key: `discovery.kubernetes.${label}`,
          where: `discovery.kubernetes ${quote(label)} (role ${quote(role)})`,
          syntax: "river",
          tool: "alloy",
          at,
          attachAt: attach ? config.locate({ line: attach.line }) : at,
          scopedBy: "selectors field spec.nodeName",
          notes: [...relabel ? [NOTES.relabel(relabel, "discovery.relabel rule")] : [], ...clustering ? [NOTES.clustering] : []]
        })
      );
    } else if (b.name === "loki.source.kubernetes_events") {
      const namespaces = listStrings(b.attrs.get("namespaces"));
      const notes = [...namespaces.length ? [NOTES.namespaces(namespaces, "namespaces")] : [], ...clustering ? ["clustering elsewhere in the config does not apply to this component"] : []];
      out.push({
        key: `loki.source.kubernetes_events.${label}`,
        what: `loki.source.kubernetes_events ${quote(label)} lists and watches events cluster-wide on every node: the component has neither clustering nor leader election, so every replica reads them all${notes.length ? `; ${notes.join("; ")}` : ""}`,
        reads: [{ resource: "events", scope: "cluster" }],
        ...namespaces.length ? { maxSeverity: "high" } : {},
        remediation: EVENTS_REMEDIATION,
        at: config.locate({ line: b.line })
      });
    }
  }
  return out;
};
var REMEDIATION4 = 'Scope discovery.kubernetes role "pod" in a per-node Alloy to its node with a selectors block field = "spec.nodeName=" + sys.env("HOSTNAME"), and move other roles and loki.source.kubernetes_events to a clustered Alloy Deployment.';
var alloyDiscovery = {
  meta: {
    id: "watch-all/alloy-discovery",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag Grafana Alloy and Agent Flow configs of per-node agents whose discovery.kubernetes or loki.source.kubernetes_events components list and watch pods, endpoints, services, ingresses, nodes or events cluster-wide, with severity from the load model.",
    docs: "docs/rules/watch-all/alloy-discovery.md",
    remediation: REMEDIATION4
  },
  check(ctx) {
    reportDetections(ctx, detector3);
  }
};

// rules/watch-all/beats-cluster-scope.ts
var REMEDIATION_SCOPE = "Use scope: node with node: ${NODE_NAME} (from fieldRef spec.nodeName) in the DaemonSet, and run cluster-wide discovery once, in a single-replica Deployment.";
var REMEDIATION_SERVICE = "Move the resource: service provider to a single-replica Deployment (services cannot be discovered at node scope) and keep only node-scoped pod discovery in the DaemonSet.";
var REMEDIATION_UNIQUE = "Move the unique: true provider and its cluster-level templates to a single-replica Deployment so that the DaemonSet replicas stop competing for the leader Lease.";
var REMEDIATION_MODULE = "Run the kubernetes state_* and event metricsets once per cluster, in a single-replica Deployment or under an autodiscover provider with unique: true, not in the DaemonSet.";
var REMEDIATION5 = "Keep every Beats Kubernetes provider, processor and module in the DaemonSet at node scope and run cluster-wide collection once, in a Deployment.";
var isTrue2 = (v) => v === true || asString(v)?.trim().toLowerCase() === "true";
var cluster = (resource2) => ({ resource: resource2, scope: "cluster" });
var node = (resource2) => ({ resource: resource2, scope: "node" });
function ownerReads(settings) {
  const meta2 = asMap(getIn(settings, ["add_resource_metadata"]));
  return [...isTrue2(meta2?.deployment) ? [cluster("replicasets")] : [], ...isTrue2(meta2?.cronjob) ? [cluster("jobs")] : []];
}
function namespaceReads(settings) {
  return getIn(settings, ["add_resource_metadata", "namespace", "enabled"]) === false ? [] : [cluster("namespaces")];
}
var nodeNamed = (settings) => {
  for (const key of ["node", "host"]) {
    const value = asString(settings[key]);
    if (value?.trim()) return { key, value: value.trim() };
  }
  return void 0;
};
var nodeText = (settings) => {
  const n = nodeNamed(settings);
  return n ? `${n.key} ${quote(n.value)}` : "node auto-detected";
};
function isProviderPath(path) {
  const n = path.length;
  if (n < 2 || typeof path[n - 1] !== "number") return false;
  const list = path[n - 2];
  if (typeof list !== "string") return false;
  if (/(^|\.)autodiscover\.providers$/.test(list)) return true;
  return list === "providers" && n >= 3 && typeof path[n - 3] === "string" && /(^|\.)autodiscover$/.test(path[n - 3]);
}
function autodiscover(config, provider, path) {
  const at = (key) => config.locate({ path: key in provider ? [...path, key] : path });
  if (isTrue2(provider.unique)) {
    return {
      key: "autodiscover.unique",
      what: 'autodiscover provider "kubernetes" has unique: true: only the leader runs its templates, but every node is a leader-election candidate that GETs the Lease every 2 s (with jitter) from etcd',
      reads: [],
      leaderElection: true,
      maxSeverity: "medium",
      remediation: REMEDIATION_UNIQUE,
      at: at("unique")
    };
  }
  const resource2 = (asString(provider.resource)?.trim() || "pod").toLowerCase();
  const rawScope = asString(provider.scope)?.trim().toLowerCase();
  const ns = asString(provider.namespace)?.trim();
  const inNs = ns ? ` in namespace ${quote(ns)}` : "";
  if (resource2 === "service") {
    return {
      key: "autodiscover.resource-service",
      what: `autodiscover provider "kubernetes" with resource: service lists and watches services${inNs} cluster-wide from every node (services cannot be discovered at node scope)`,
      reads: [cluster("services"), ...namespaceReads(provider)],
      remediation: REMEDIATION_SERVICE,
      at: at("resource")
    };
  }
  if (resource2 !== "pod" && resource2 !== "node") return void 0;
  const scope = rawScope || "node";
  if (scope === "cluster") {
    const reads = resource2 === "pod" ? [cluster("pods"), cluster("nodes"), ...namespaceReads(provider), ...ownerReads(provider)] : [cluster("nodes")];
    return {
      key: "autodiscover.scope-cluster",
      what: `autodiscover provider "kubernetes" (resource ${resource2}) has scope: cluster without unique: true: every node lists and watches ${listing(reads.map((r) => r.resource))}${inNs} cluster-wide`,
      reads,
      remediation: REMEDIATION_SCOPE,
      at: at("scope")
    };
  }
  if (scope !== "node") return void 0;
  const where2 = nodeNamed(provider);
  return {
    key: "autodiscover.scope-node",
    what: `autodiscover provider "kubernetes" (resource ${resource2}) is node-scoped (${nodeText(provider)})`,
    reads: resource2 === "pod" ? [node("pods"), node("nodes"), ...namespaceReads(provider)] : [node("nodes")],
    remediation: REMEDIATION_SCOPE,
    at: at(where2?.key ?? "scope"),
    quiet: true
  };
}
function kubernetesMetadata(config, settings, path) {
  const scope = asString(settings.scope)?.trim().toLowerCase() || "node";
  if (scope === "cluster") {
    const reads = [cluster("pods"), cluster("nodes"), ...namespaceReads(settings), ...ownerReads(settings)];
    return {
      key: "add_kubernetes_metadata.scope-cluster",
      what: `processor "add_kubernetes_metadata" has scope: cluster: every node lists and watches ${listing(reads.map((r) => r.resource))} cluster-wide`,
      reads,
      remediation: REMEDIATION_SCOPE,
      at: config.locate({ path: [...path, "scope"] })
    };
  }
  const where2 = nodeNamed(settings);
  return {
    key: "add_kubernetes_metadata",
    what: `processor "add_kubernetes_metadata" is node-scoped (${nodeText(settings)})`,
    reads: [node("pods"), node("nodes"), ...namespaceReads(settings)],
    remediation: REMEDIATION_SCOPE,
    at: config.locate({ path: where2 ? [...path, where2.key] : path }),
    quiet: true
  };
}
function stateReads(metricset) {
  const kind = metricset.slice("state_".length);
  if (kind === "pod" || kind === "container") return [cluster("pods"), cluster("nodes"), cluster("namespaces")];
  if (kind === "namespace") return [cluster("namespaces")];
  if (!kind) return [];
  return [cluster(kind.endsWith("s") ? `${kind}es` : `${kind}s`)];
}
function kubernetesModule(config, module, path) {
  const out = [];
  const metricsets = asStrings(module.metricsets).map((m) => m.trim().toLowerCase());
  const index = (name) => asStrings(module.metricsets).findIndex((m) => m.trim().toLowerCase() === name);
  const events = metricsets.includes("event");
  if (events) {
    out.push({
      key: "module.kubernetes.event",
      what: 'module "kubernetes" runs the event metricset on every node: each one lists and watches every event of the cluster',
      reads: [cluster("events")],
      remediation: REMEDIATION_MODULE,
      at: config.locate({ path: [...path, "metricsets", index("event")] })
    });
  }
  const state = metricsets.filter((m) => m.startsWith("state_"));
  if (state.length && module.add_metadata !== false && asString(module.add_metadata)?.toLowerCase() !== "false") {
    const reads = /* @__PURE__ */ new Map();
    for (const m of state) for (const r of stateReads(m)) reads.set(r.resource, r);
    const list = [...reads.values()];
    if (list.length) {
      out.push({
        key: "module.kubernetes.state",
        what: `module "kubernetes" runs ${listing(state.map((m) => quote(m)))} with add_metadata on every node: their enrichers watch ${listing(list.map((r) => r.resource))} cluster-wide (state metricsets are never node-scoped)`,
        reads: list,
        remediation: REMEDIATION_MODULE,
        at: config.locate({ path: [...path, "metricsets", index(state[0])] })
      });
    }
  }
  return out;
}
function agentProvider(config, provider) {
  const path = ["providers", "kubernetes"];
  const out = [];
  const scope = asString(provider.scope)?.trim().toLowerCase() || "node";
  if (isTrue2(getIn(provider, ["resources", "service", "enabled"]))) {
    out.push({
      key: "agent.kubernetes.service",
      what: 'Elastic Agent provider "kubernetes" has resources.service.enabled: every node lists and watches services cluster-wide',
      reads: [cluster("services"), ...namespaceReads(provider)],
      remediation: REMEDIATION_SERVICE,
      at: config.locate({ path: [...path, "resources", "service", "enabled"] })
    });
  }
  if (scope === "cluster") {
    const reads = [cluster("pods"), cluster("nodes"), ...namespaceReads(provider), ...ownerReads(provider)];
    out.push({
      key: "agent.kubernetes.scope-cluster",
      what: `Elastic Agent provider "kubernetes" has scope: cluster: every node lists and watches ${listing(reads.map((r) => r.resource))} cluster-wide`,
      reads,
      remediation: REMEDIATION_SCOPE,
      at: config.locate({ path: [...path, "scope"] })
    });
  } else if (scope === "node") {
    const where2 = nodeNamed(provider);
    out.push({
      key: "agent.kubernetes.scope-node",
      what: `Elastic Agent provider "kubernetes" is node-scoped (${nodeText(provider)})`,
      reads: [node("pods"), node("nodes"), ...namespaceReads(provider)],
      remediation: REMEDIATION_SCOPE,
      at: config.locate({ path: where2 ? [...path, where2.key] : path }),
      quiet: true
    });
  }
  return out;
}
var detector4 = (config) => {
  if (config.format !== "yaml" || config.doc === null || typeof config.doc !== "object") return [];
  const providers = [];
  const processors = [];
  const modules = [];
  walk(config.doc, (v, path) => {
    const map2 = asMap(v);
    if (!map2) return;
    if (isProviderPath(path) && asString(map2.type)?.trim().toLowerCase() === "kubernetes") providers.push({ value: map2, path: [...path] });
    if (Object.prototype.hasOwnProperty.call(map2, "add_kubernetes_metadata")) {
      const settings = map2.add_kubernetes_metadata;
      if (settings === null || asMap(settings)) processors.push({ value: asMap(settings) ?? {}, path: [...path, "add_kubernetes_metadata"] });
    }
    if (asString(map2.module)?.trim().toLowerCase() === "kubernetes") modules.push({ value: map2, path: [...path] });
  });
  const underProvider = (path) => providers.some((p) => path.length > p.path.length && p.path.every((step, i) => path[i] === step));
  const out = [];
  for (const p of providers) {
    const d = autodiscover(config, p.value, p.path);
    if (d) out.push(d);
  }
  for (const p of processors) if (!underProvider(p.path)) out.push(kubernetesMetadata(config, p.value, p.path));
  for (const m of modules) if (!underProvider(m.path)) out.push(...kubernetesModule(config, m.value, m.path));
  const agent = asMap(getIn(config.doc, ["providers", "kubernetes"]));
  if (agent && asList(getIn(config.doc, ["inputs"])).length + Object.keys(asMap(getIn(config.doc, ["outputs"])) ?? {}).length + (asMap(getIn(config.doc, ["agent"])) ? 1 : 0) > 0) {
    out.push(...agentProvider(config, agent));
  }
  return out;
};
var beatsClusterScope = {
  meta: {
    id: "watch-all/beats-cluster-scope",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag per-node Filebeat, Metricbeat and Elastic Agent configs whose Kubernetes autodiscover, add_kubernetes_metadata or kubernetes module reads pods, nodes, services or events cluster-wide from every node, or whose unique: true provider makes every node poll a leader Lease.",
    docs: "docs/rules/watch-all/beats-cluster-scope.md",
    remediation: REMEDIATION5
  },
  check(ctx) {
    reportDetections(ctx, detector4);
  }
};

// rules/watch-all/datadog-agent.ts
var REMEDIATION6 = "Run the Datadog Cluster Agent and keep cluster-level collection in it: enable clusterAgent, leave datadog.kubelet.useApiServer off unless the kubelet is unreachable, and run kubernetes_state_core only as a cluster check.";
var REMEDIATION_DCA = "Enable the Datadog Cluster Agent (clusterAgent.enabled: true) so node agents get cluster metadata from it and stop competing for the leader lock.";
var REMEDIATION_KUBELET = "Leave datadog.kubelet.useApiServer off (DD_KUBELET_USE_API_SERVER=false) wherever the node agent can reach its kubelet.";
var REMEDIATION_KSM = "Run kubernetes_state_core in the Datadog Cluster Agent (datadog.kubeStateMetricsCore.enabled) or as a cluster check (cluster_check: true), never in the node agent DaemonSet.";
var AGENT_IMAGE = /(^|[/.])(datadog|datadoghq)(\.[a-z.]+)?\/agent([:@]|$)/;
var DEFAULT_KSM_COLLECTORS = [
  "secrets",
  "configmaps",
  "nodes",
  "pods",
  "services",
  "resourcequotas",
  "replicationcontrollers",
  "limitranges",
  "persistentvolumeclaims",
  "persistentvolumes",
  "namespaces",
  "endpoints",
  "endpointslices",
  "daemonsets",
  "deployments",
  "replicasets",
  "statefulsets",
  "controllerrevisions",
  "cronjobs",
  "jobs",
  "horizontalpodautoscalers",
  "poddisruptionbudgets",
  "storageclasses",
  "volumeattachments",
  "ingresses"
];
var isTrue3 = (v) => v !== void 0 && /^(1|t|true)$/i.test(v.trim());
var isFalse = (v) => v !== void 0 && /^(0|f|false)$/i.test(v.trim());
var factsCache = /* @__PURE__ */ new WeakMap();
function factsOf(workload) {
  const known = factsCache.get(workload);
  if (known !== void 0) return known;
  const spec = podSpecOf(workload);
  let datadog = false;
  const containers = [];
  for (const list of ["initContainers", "containers"]) {
    asList(spec?.[list]).forEach((c, index) => {
      const m = asMap(c);
      if (!m) return;
      const image = asString(m.image) ?? "";
      const env = /* @__PURE__ */ new Map();
      for (const e of asList(m.env)) {
        const name = asString(getIn(e, ["name"]));
        if (!name) continue;
        if (name === "DD_API_KEY") datadog = true;
        const value = asString(getIn(e, ["value"]));
        if (value !== void 0 && !env.has(name)) env.set(name, value);
      }
      if (AGENT_IMAGE.test(image)) datadog = true;
      if (list === "containers") containers.push({ index, env });
    });
  }
  if (!datadog) {
    factsCache.set(workload, null);
    return null;
  }
  const first = (test) => containers.find(test)?.index;
  const dcaOn = first((c) => isTrue3(c.env.get("DD_CLUSTER_AGENT_ENABLED")));
  const explicitOff = first((c) => isFalse(c.env.get("DD_CLUSTER_AGENT_ENABLED")));
  const leaderElection = containers.some((c) => isTrue3(c.env.get("DD_LEADER_ELECTION")));
  let dcaOff;
  if (explicitOff !== void 0 || leaderElection && dcaOn === void 0) {
    for (const c of containers) {
      if (isFalse(c.env.get("DD_CLUSTER_AGENT_ENABLED"))) {
        dcaOff = { index: c.index, name: "DD_CLUSTER_AGENT_ENABLED" };
        break;
      }
      if (dcaOn === void 0 && isTrue3(c.env.get("DD_LEADER_ELECTION"))) {
        dcaOff = { index: c.index, name: "DD_LEADER_ELECTION" };
        break;
      }
    }
  }
  const useApiServer = first((c) => isTrue3(c.env.get("DD_KUBELET_USE_API_SERVER")));
  const ksmEnv = first((c) => isTrue3(c.env.get("DD_KUBE_STATE_METRICS_CORE_ENABLED")));
  const facts = { containers, dcaOff, leaderElection, dcaOn, useApiServer, ksmEnv };
  factsCache.set(workload, facts);
  return facts;
}
function envLine(config, name) {
  const i = config.text.split("\n").findIndex((l) => l.startsWith(`${name}=`));
  return i < 0 ? void 0 : i;
}
function containerIndex(config) {
  if (config.format !== "args" || config.holder !== config.workload) return void 0;
  const p = config.path;
  return p[p.length - 2] === "containers" && typeof p[p.length - 1] === "number" ? p[p.length - 1] : void 0;
}
function kindsListing(items) {
  return items.length > 6 ? `${items.slice(0, 5).join(", ")} and ${items.length - 5} more kinds` : listing(items);
}
function containerDetections(config, facts, index) {
  const out = [];
  const at = (name) => config.locate({ line: envLine(config, name) ?? 0 });
  const env = facts.containers.find((c) => c.index === index)?.env;
  if (facts.dcaOff?.index === index) {
    const name = facts.dcaOff.name;
    const shown = quote(`${name}=${env?.get(name) ?? ""}`);
    const because = name === "DD_CLUSTER_AGENT_ENABLED" ? `${shown}: node agents run without the cluster agent` : `${shown} with no "DD_CLUSTER_AGENT_ENABLED=true" (what the chart renders for clusterAgent.enabled: false): node agents run without the cluster agent`;
    out.push({
      key: "cluster-agent-disabled",
      what: `${because}, so every node agent reads cluster metadata (services) from the API server itself${facts.leaderElection ? ' and, with "DD_LEADER_ELECTION=true", polls the leader lock' : ""}`,
      reads: [{ resource: "services", scope: "cluster" }],
      ...facts.leaderElection ? { leaderElection: true } : {},
      maxSeverity: "medium",
      remediation: REMEDIATION_DCA,
      at: at(name)
    });
  }
  if (facts.useApiServer === index) {
    out.push({
      key: "kubelet-use-api-server",
      what: `${quote(`DD_KUBELET_USE_API_SERVER=${env?.get("DD_KUBELET_USE_API_SERVER") ?? "true"}`)} (datadog.kubelet.useApiServer): every node agent lists its node's pods from the API server instead of its kubelet, once per 5 s workloadmeta pull`,
      reads: [{ resource: "pods", scope: "node" }],
      poll: { intervalMs: 5e3, kinds: 1 },
      maxSeverity: "medium",
      remediation: REMEDIATION_KUBELET,
      at: at("DD_KUBELET_USE_API_SERVER")
    });
  }
  if (facts.ksmEnv === index) {
    out.push(ksmDetection(`${quote(`DD_KUBE_STATE_METRICS_CORE_ENABLED=${env?.get("DD_KUBE_STATE_METRICS_CORE_ENABLED") ?? "true"}`)} turns on the kubernetes_state_core check in the node agent`, [...DEFAULT_KSM_COLLECTORS], at("DD_KUBE_STATE_METRICS_CORE_ENABLED"), "ksm-core-env"));
  }
  if (!out.length && facts.dcaOn === index && facts.useApiServer === void 0 && !facts.dcaOff) {
    out.push({
      key: "node-scoped",
      what: `${quote(`DD_CLUSTER_AGENT_ENABLED=${env?.get("DD_CLUSTER_AGENT_ENABLED") ?? "true"}`)}: the node agent reads pods from its kubelet and cluster metadata from the cluster agent`,
      reads: [{ resource: "pods", scope: "node" }],
      remediation: REMEDIATION6,
      at: at("DD_CLUSTER_AGENT_ENABLED"),
      quiet: true
    });
  }
  return out;
}
function ksmDetection(because, collectors, at, key) {
  const reads = collectors.map((resource2) => ({ resource: resource2, scope: "cluster" }));
  return {
    key,
    what: `${because}: every node runs kube-state-metrics and lists ${kindsListing(collectors)} cluster-wide`,
    reads,
    remediation: REMEDIATION_KSM,
    at
  };
}
function ksmCheckOf(key) {
  const m = /^(kubernetes_state_core|kubernetes_state)(\.ya?ml(\.default)?|\.d--[\w.-]+)$/.exec(key);
  return m ? m[1] : void 0;
}
function confdDetections(config) {
  if (config.path[0] !== "data" || config.holder.kind !== "ConfigMap") return [];
  const check2 = ksmCheckOf(config.name);
  if (!check2) return [];
  const doc = asMap(config.doc);
  if (!doc) return [];
  const clusterCheck = doc.cluster_check;
  if (clusterCheck === true || typeof clusterCheck === "string" && /^true$/i.test(clusterCheck)) return [];
  const at = config.locate({ path: "instances" in doc ? ["instances"] : [] });
  const where2 = `check ${quote(check2)} (key ${quote(config.name)}) runs on the node agent without "cluster_check: true"`;
  if (check2 === "kubernetes_state") {
    return [
      {
        key: "ksm-legacy",
        what: `legacy ${where2}: every node scrapes the whole cluster's kube-state-metrics output (load on kube-state-metrics, not the API server)`,
        reads: [],
        severity: "medium",
        remediation: REMEDIATION_KSM,
        at
      }
    ];
  }
  const listed = [...new Set(asList(doc.instances).flatMap((i) => asStrings(getIn(i, ["collectors"])).map((c) => c.trim().toLowerCase()).filter(Boolean)))];
  return [ksmDetection(where2, listed.length ? listed : DEFAULT_KSM_COLLECTORS, at, "ksm-core")];
}
var detector5 = (config) => {
  const facts = factsOf(config.workload);
  if (!facts) return [];
  const index = containerIndex(config);
  if (index !== void 0) return containerDetections(config, facts, index);
  return confdDetections(config);
};
var datadogAgent = {
  meta: {
    id: "watch-all/datadog-agent",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag Datadog node agents that read the API server from every node: the cluster agent disabled, the pod list taken from the API server instead of the kubelet, or kubernetes_state_core running in the DaemonSet.",
    docs: "docs/rules/watch-all/datadog-agent.md",
    remediation: REMEDIATION6
  },
  check(ctx) {
    reportDetections(ctx, detector5);
  }
};

// rules/watch-all/fluent-bit-kubernetes.ts
var MIN_CACHE_TTL_SECONDS = 300;
var REMEDIATION_EVENTS = "Move the kubernetes_events input to a single-replica Deployment (one Fluent Bit for the cluster) and keep only node-local inputs in the DaemonSet.";
var REMEDIATION_TTL = "Set Use_Kubelet On (with nodes/proxy RBAC, hostNetwork and dnsPolicy ClusterFirstWithHostNet) or raise Kube_Meta_Cache_TTL to 300 s or more (0, the default, keeps entries until they are evicted).";
var REMEDIATION7 = "Keep kubernetes_events out of the DaemonSet and keep the kubernetes filter on Use_Kubelet On or a Kube_Meta_Cache_TTL of at least 300 s.";
function bool2(value) {
  const v = value?.trim().toLowerCase();
  if (v === "on" || v === "true" || v === "yes" || v === "1") return true;
  if (v === "off" || v === "false" || v === "no" || v === "0") return false;
  return void 0;
}
function seconds(value) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(value ?? "");
  if (!m) return void 0;
  const mult = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };
  return Number(m[1]) * mult[m[2].toLowerCase()];
}
function classicPlugins(config) {
  const out = [];
  let current;
  const close = () => {
    if (!current?.kind) return;
    const { kind, props } = current;
    const name = props.get("name");
    if (!name) return;
    out.push({
      kind,
      name: name.value.trim().toLowerCase(),
      at: config.locate({ line: name.line }),
      prop: (key) => {
        const p = props.get(key);
        return p ? { value: p.value, at: config.locate({ line: p.line }) } : void 0;
      }
    });
  };
  config.text.split("\n").forEach((raw, line3) => {
    const text = raw.replace(/\r$/, "");
    const section = /^\s*\[\s*([A-Za-z_]+)\s*\]\s*$/.exec(text);
    if (section) {
      close();
      const s = section[1].toUpperCase();
      current = { kind: s === "INPUT" ? "input" : s === "FILTER" ? "filter" : void 0, props: /* @__PURE__ */ new Map() };
      return;
    }
    const trimmed = text.trim();
    if (!current || !trimmed || trimmed.startsWith("#") || trimmed.startsWith("@")) return;
    const entry = /^(\S+)(?:\s+(.*))?$/.exec(trimmed);
    if (!entry) return;
    const key = entry[1].toLowerCase();
    current.props.set(key, { value: (entry[2] ?? "").trim(), line: line3 });
  });
  close();
  return out;
}
function yamlPlugins(config) {
  const out = [];
  for (const [list, kind] of [["inputs", "input"], ["filters", "filter"]]) {
    asList(getIn(config.doc, ["pipeline", list])).forEach((item, i) => {
      const map2 = asMap(item);
      if (!map2) return;
      const keys = /* @__PURE__ */ new Map();
      for (const k of Object.keys(map2)) keys.set(k.toLowerCase(), k);
      const prop = (key) => {
        const real = keys.get(key);
        const value = real === void 0 ? void 0 : asString(map2[real]);
        return real === void 0 || value === void 0 ? void 0 : { value, at: config.locate({ path: ["pipeline", list, i, real] }) };
      };
      const name = prop("name");
      if (!name) return;
      out.push({ kind, name: name.value.trim().toLowerCase(), at: name.at, prop });
    });
  }
  return out;
}
function eventsInput(p) {
  const ns = p.prop("kube_namespace")?.value.trim();
  const where2 = ns ? `the events of namespace ${quote(ns)}` : "every event of the cluster";
  return {
    key: "input.kubernetes_events",
    what: `input "kubernetes_events" lists and watches ${where2} from every node: a cluster-scoped input in a per-node agent`,
    reads: [{ resource: "events", scope: "cluster" }],
    remediation: REMEDIATION_EVENTS,
    at: p.at
  };
}
function kubernetesFilter(p) {
  const ownPods = [{ resource: "pods", scope: "node" }];
  const kubelet = p.prop("use_kubelet");
  if (bool2(kubelet?.value) === true) {
    return { key: "filter.kubernetes", what: `filter "kubernetes" reads its node's pods from the kubelet (Use_Kubelet On)`, reads: ownPods, remediation: REMEDIATION7, at: kubelet.at, quiet: true };
  }
  const fromTag = p.prop("use_tag_for_meta");
  if (bool2(fromTag?.value) === true) {
    return { key: "filter.kubernetes", what: 'filter "kubernetes" takes metadata from the tag (Use_Tag_For_Meta On) and never calls the API server', reads: ownPods, remediation: REMEDIATION7, at: fromTag.at, quiet: true };
  }
  const ttlProp = p.prop("kube_meta_cache_ttl");
  const ttl = seconds(ttlProp?.value);
  if (ttlProp && ttl !== void 0 && ttl > 0 && ttl < MIN_CACHE_TTL_SECONDS) {
    const off = kubelet ? `Use_Kubelet ${quote(kubelet.value)}` : "Use_Kubelet unset (Off)";
    return {
      key: "filter.kubernetes.meta-cache-ttl",
      what: `filter "kubernetes" re-fetches every pod of its node from the API server each ${ttl} s (Kube_Meta_Cache_TTL ${quote(ttlProp.value)}, ${off}): one GET per pod per TTL, served from etcd (a GET without resourceVersion)`,
      reads: ownPods,
      poll: { intervalMs: ttl * 1e3, kinds: DEFAULTS.podsPerNode },
      maxSeverity: "medium",
      remediation: REMEDIATION_TTL,
      at: ttlProp.at
    };
  }
  return {
    key: "filter.kubernetes",
    what: 'filter "kubernetes" GETs each new pod of its node from the API server (Use_Kubelet off), never a cluster-wide list',
    reads: ownPods,
    remediation: REMEDIATION7,
    at: p.at,
    quiet: true
  };
}
var detector6 = (config) => {
  const plugins = config.format === "ini" ? classicPlugins(config) : config.format === "yaml" ? yamlPlugins(config) : [];
  const out = [];
  for (const p of plugins) {
    if (p.kind === "input" && p.name === "kubernetes_events") out.push(eventsInput(p));
    else if (p.kind === "filter" && p.name === "kubernetes") out.push(kubernetesFilter(p));
  }
  return out;
};
var fluentBitKubernetes = {
  meta: {
    id: "watch-all/fluent-bit-kubernetes",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag per-node Fluent Bit configs with a kubernetes_events input (every node watches all events) or a kubernetes filter that re-fetches pod metadata from the API server more often than every 300 s.",
    docs: "docs/rules/watch-all/fluent-bit-kubernetes.md",
    remediation: REMEDIATION7
  },
  check(ctx) {
    reportDetections(ctx, detector6);
  }
};

// rules/watch-all/kube-state-metrics-daemonset.ts
var DEFAULT_RESOURCES = [
  "certificatesigningrequests",
  "configmaps",
  "cronjobs",
  "customresourcedefinitions",
  "daemonsets",
  "deployments",
  "endpointslices",
  "horizontalpodautoscalers",
  "ingresses",
  "jobs",
  "leases",
  "limitranges",
  "mutatingadmissionpolicies",
  "mutatingadmissionpolicybindings",
  "mutatingwebhookconfigurations",
  "namespaces",
  "networkpolicies",
  "nodes",
  "persistentvolumes",
  "persistentvolumeclaims",
  "poddisruptionbudgets",
  "pods",
  "replicasets",
  "replicationcontrollers",
  "resourcequotas",
  "secrets",
  "services",
  "statefulsets",
  "storageclasses",
  "validatingadmissionpolicies",
  "validatingadmissionpolicybindings",
  "validatingwebhookconfigurations",
  "volumeattachments"
];
var IMAGE = /kube-state-metrics/i;
var VALUED = /* @__PURE__ */ new Set(["node", "resources", "collectors"]);
var REMEDIATION8 = "Run the DaemonSet with --resources=pods --node=$(NODE_NAME) (NODE_NAME from fieldRef spec.nodeName) and export every other resource from one kube-state-metrics Deployment.";
function flagsOf(text) {
  const tokens = [];
  text.split("\n").forEach((l, line3) => {
    for (const token of l.trim().split(/\s+/)) if (token) tokens.push({ token: token.replace(/^["']|["']$/g, ""), line: line3 });
  });
  const flags = /* @__PURE__ */ new Map();
  tokens.forEach(({ token, line: line3 }, i) => {
    const m = /^--([A-Za-z0-9][A-Za-z0-9-]*)(?:=(.*))?$/.exec(token);
    if (!m) return;
    const name = m[1].toLowerCase();
    let value = m[2];
    if (value === void 0 && VALUED.has(name)) {
      const next = tokens[i + 1];
      value = next && !next.token.startsWith("-") ? next.token : "";
    }
    flags.set(name, { value: value ?? "", line: line3 });
  });
  return flags;
}
function byKind(items) {
  const rank = (r) => {
    const i = NODE_SCALING_KINDS.indexOf(r);
    return i < 0 ? NODE_SCALING_KINDS.length : i;
  };
  return items.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i).map((x) => x.r);
}
function someOf(items, max = 6) {
  return items.length > max ? `${items.slice(0, max).join(", ")} and ${items.length - max} more` : listing(items);
}
var detector7 = (config) => {
  if (config.format !== "args") return [];
  const container = asMap(getIn(config.workload.doc, config.path));
  const image = asString(container?.image) ?? "";
  if (!IMAGE.test(image)) return [];
  const flags = flagsOf(config.text);
  const given = flags.get("resources") ?? flags.get("collectors");
  const listed = (given?.value ?? "").split(",").map((r) => r.trim().toLowerCase()).filter(Boolean);
  const defaults = listed.length === 0;
  const resources = defaults ? [...DEFAULT_RESOURCES] : [...new Set(listed)];
  const nodeFlag = flags.get("node");
  const nodeName = nodeFlag?.value.trim() ?? "";
  const scoped = nodeName !== "";
  const reads = resources.map((resource2) => ({ resource: resource2, scope: resource2 === "pods" && scoped ? "node" : "cluster" }));
  const wide = reads.filter((r) => r.scope === "cluster").map((r) => r.resource);
  const at = config.locate({ line: given?.line ?? nodeFlag?.line ?? 0 });
  if (wide.length === 0) {
    const d = {
      key: "kube-state-metrics",
      what: `kube-state-metrics exports pods only, listed with the node's field selector (--node ${quote(nodeName)})`,
      reads,
      remediation: REMEDIATION8,
      at: config.locate({ line: nodeFlag.line }),
      quiet: true
    };
    return [d];
  }
  const kinds = someOf(byKind(wide));
  const source = defaults ? `${given ? "an empty --resources" : "no --resources"}: all ${DEFAULT_RESOURCES.length} default resources` : `--resources ${quote(given.value.trim())}`;
  const what = scoped ? `kube-state-metrics --node ${quote(nodeName)} scopes only pods: every node still lists and watches ${kinds} cluster-wide (${source})` : `kube-state-metrics has no --node (${source}): every node lists and watches ${kinds} cluster-wide`;
  return [
    {
      key: "kube-state-metrics",
      what,
      reads,
      remediation: REMEDIATION8,
      at
    }
  ];
};
var kubeStateMetricsDaemonset = {
  meta: {
    id: "watch-all/kube-state-metrics-daemonset",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag kube-state-metrics run as a DaemonSet without --resources=pods --node=$(NODE_NAME): every node lists and watches the exported resources cluster-wide.",
    docs: "docs/rules/watch-all/kube-state-metrics-daemonset.md",
    remediation: REMEDIATION8
  },
  check(ctx) {
    reportDetections(ctx, detector7);
  }
};

// rules/watch-all/otel-k8sattributes.ts
var PROCESSOR_ID = /^(k8sattributes|k8s_attributes)(\/.*)?$/;
var DEFAULT_METADATA = ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.start_time", "k8s.deployment.name", "k8s.node.name"];
var FROM_KIND = {
  namespace: "namespaces",
  deployment: "deployments",
  statefulset: "statefulsets",
  daemonset: "daemonsets",
  job: "jobs"
};
function isTrue4(v) {
  return v === true || typeof v === "string" && v.trim().toLowerCase() === "true";
}
function otelConfig(config) {
  if (config.format !== "yaml") return void 0;
  const doc = asMap(config.doc);
  if (!doc) return void 0;
  return ["receivers", "processors", "exporters", "service"].some((k) => asMap(doc[k])) ? doc : void 0;
}
function pipelineComponents(doc, field) {
  const pipelines = asMap(getIn(doc, ["service", "pipelines"]));
  if (!pipelines) return void 0;
  const used = /* @__PURE__ */ new Set();
  for (const pipeline of Object.values(pipelines)) for (const id of asStrings(asMap(pipeline)?.[field])) used.add(id.trim());
  return used;
}
function envLists(workload) {
  if (workload.kind === "OpenTelemetryCollector") {
    const spec2 = asMap(workload.doc.spec);
    return { env: [...asList(spec2?.env)], envFrom: asList(spec2?.envFrom).length > 0 };
  }
  const path = podSpecPath(workload.kind);
  const spec = path ? asMap(getIn(workload.doc, path)) : void 0;
  if (!spec) return void 0;
  const env = [];
  let envFrom = false;
  for (const list of ["initContainers", "containers"]) {
    for (const c of asList(spec[list])) {
      env.push(...asList(asMap(c)?.env));
      if (asList(asMap(c)?.envFrom).length > 0) envFrom = true;
    }
  }
  return { env, envFrom };
}
function envVerdict(workload, name) {
  const lists = envLists(workload);
  if (!lists) return "unknown";
  let found;
  for (const e of lists.env) {
    const env = asMap(e);
    if (asString(env?.name)?.trim() !== name) continue;
    const fieldPath = asString(getIn(env, ["valueFrom", "fieldRef", "fieldPath"]))?.trim();
    if (fieldPath === "spec.nodeName") return "nodeName";
    found = "set";
  }
  return found ?? (lists.envFrom ? "unknown" : "unset");
}
function envReference(value) {
  return /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value)?.[1];
}
function podScope(config, base, filter) {
  const out = {};
  const kind = config.workload.kind;
  const fromEnv = asString(filter.node_from_env_var)?.trim();
  if (fromEnv) {
    if (envVerdict(config.workload, fromEnv) === "unset") {
      out.broken = {
        text: `filter.node_from_env_var ${quote(fromEnv)} names an env var the ${kind} never sets (it needs valueFrom.fieldRef.fieldPath: spec.nodeName), so the node filter is empty`,
        path: [...base, "filter", "node_from_env_var"]
      };
    } else out.node = `filter.node_from_env_var ${quote(fromEnv)}`;
  } else {
    const node2 = asString(filter.node)?.trim();
    if (node2) {
      const ref = envReference(node2);
      if (ref && envVerdict(config.workload, ref) === "unset") {
        out.broken = { text: `filter.node ${quote(node2)} expands an env var the ${kind} never sets, so the node filter is empty`, path: [...base, "filter", "node"] };
      } else out.node = `filter.node ${quote(node2)}`;
    }
  }
  asList(filter.fields).forEach((f) => {
    const field = asMap(f);
    const op = (asString(field?.op) ?? "").trim();
    if (!out.fields && asString(field?.key)?.trim() === "spec.nodeName" && (op === "" || op === "equals")) out.fields = "filter.fields spec.nodeName";
  });
  return out;
}
function extras(base, extract, nodeScoped) {
  const out = [];
  const given = Array.isArray(extract.metadata);
  const metadata = given ? asStrings(extract.metadata).map((m) => m.trim()) : DEFAULT_METADATA;
  const metadataPath = (m) => {
    if (given) return [...base, "extract", "metadata", asList(extract.metadata).findIndex((x) => asString(x)?.trim() === m)];
    return Object.keys(extract).length ? [...base, "extract"] : base;
  };
  const fromRs = isTrue4(extract.deployment_name_from_replicaset);
  if (metadata.includes("k8s.deployment.uid")) {
    out.push({ resource: "replicasets", because: 'extract.metadata "k8s.deployment.uid" (the deployment uid comes from the ReplicaSet)', path: metadataPath("k8s.deployment.uid") });
  } else if (metadata.includes("k8s.deployment.name") && !fromRs) {
    out.push({
      resource: "replicasets",
      because: `${given ? 'extract.metadata "k8s.deployment.name"' : 'the default extract.metadata (with "k8s.deployment.name")'} without extract.deployment_name_from_replicaset: true`,
      path: metadataPath("k8s.deployment.name")
    });
  }
  if (!nodeScoped && metadata.includes("k8s.node.uid")) out.push({ resource: "nodes", because: 'extract.metadata "k8s.node.uid" without filter.node', path: metadataPath("k8s.node.uid") });
  if (metadata.includes("k8s.cronjob.uid")) out.push({ resource: "jobs", because: 'extract.metadata "k8s.cronjob.uid"', path: metadataPath("k8s.cronjob.uid") });
  const fromRules = /* @__PURE__ */ new Set();
  for (const list of ["labels", "annotations"]) {
    asList(extract[list]).forEach((r, i) => {
      const from = (asString(asMap(r)?.from) ?? "pod").trim().toLowerCase();
      const resource2 = from === "node" ? nodeScoped ? void 0 : "nodes" : FROM_KIND[from];
      if (resource2 && !fromRules.has(resource2)) {
        fromRules.add(resource2);
        out.push({ resource: resource2, because: `extract.${list} from: ${from}${from === "node" ? " without filter.node" : ""}`, path: [...base, "extract", list, i, "from"] });
      }
    });
  }
  return out;
}
var upperFirst = (s) => s.charAt(0).toUpperCase() + s.slice(1);
function extrasText(list) {
  return listing(list.map((e) => `${e.resource} (${e.because})`));
}
function extrasSteps(list, nodeFilterAdded = false) {
  const steps = [];
  const rs = list.find((e) => e.resource === "replicasets");
  if (rs?.because.includes("k8s.deployment.uid")) steps.push('drop "k8s.deployment.uid" from extract.metadata (keep k8s.deployment.name with extract.deployment_name_from_replicaset: true)');
  else if (rs) steps.push("set extract.deployment_name_from_replicaset: true");
  if (!nodeFilterAdded && list.some((e) => e.resource === "nodes")) steps.push("add filter.node_from_env_var so the node informer reads only its own node");
  if (list.some((e) => e.because.includes("k8s.cronjob.uid"))) steps.push('drop "k8s.cronjob.uid" from extract.metadata');
  if (list.some((e) => e.resource !== "nodes" && (e.because.startsWith("extract.labels") || e.because.startsWith("extract.annotations")))) steps.push("extract labels and annotations from: pod only (or enrich in one gateway Deployment)");
  return steps;
}
function judge2(config, id, processor) {
  const base = ["processors", id];
  const filter = asMap(processor.filter) ?? {};
  const extract = asMap(processor.extract) ?? {};
  const scope = podScope(config, base, filter);
  const podsNode = !!(scope.node || scope.fields);
  const more = extras(base, extract, !!scope.node);
  const readsNodes = asStrings(extract.metadata).some((m) => m.trim() === "k8s.node.uid") || ["labels", "annotations"].some((l) => asList(extract[l]).some((r) => asString(asMap(r)?.from)?.trim().toLowerCase() === "node"));
  const nodeReads = readsNodes && scope.node ? [{ resource: "nodes", scope: "node" }] : [];
  const extraReads = [...new Set(more.map((e) => e.resource))].map((resource2) => ({ resource: resource2, scope: "cluster" }));
  const name = quote(id);
  if (!podsNode) {
    const why = scope.broken ? scope.broken.text : "no filter.node_from_env_var, filter.node or filter.fields entry on spec.nodeName, and passthrough is not true";
    const namespace = asString(filter.namespace)?.trim();
    const ns = namespace ? ` (filter.namespace ${quote(namespace)} narrows them to a namespace, not to the node)` : "";
    return {
      key: `processors.${id}`,
      what: `processor ${name} lists and watches pods cluster-wide${ns} on every node: ${why}${more.length ? `; it also watches ${extrasText(more)} cluster-wide` : ""}`,
      reads: [{ resource: "pods", scope: "cluster" }, ...extraReads],
      remediation: `${scope.broken ? "Set that env var on the collector from the downward API (valueFrom.fieldRef.fieldPath: spec.nodeName) so the node filter is not empty" : "Add filter.node_from_env_var: K8S_NODE_NAME to the processor, with env K8S_NODE_NAME from the downward API (fieldPath spec.nodeName) on the collector"}${extrasSteps(more, true).length ? `, and ${listing(extrasSteps(more, true))}` : ""}.`,
      at: config.locate({ path: scope.broken ? scope.broken.path : base })
    };
  }
  const filtered = scope.node ?? scope.fields;
  if (more.length) {
    return {
      key: `processors.${id}`,
      what: `processor ${name} reads only its node's pods (${filtered}) but every replica still watches ${extrasText(more)} cluster-wide`,
      reads: [{ resource: "pods", scope: "node" }, ...nodeReads, ...extraReads],
      maxSeverity: "medium",
      remediation: `${upperFirst(listing(extrasSteps(more)))}, so no replica of the per-node collector watches a whole-cluster kind.`,
      at: config.locate({ path: more[0].path })
    };
  }
  return {
    key: `processors.${id}`,
    what: `processor ${name} reads only its node's pods (${filtered})`,
    reads: [{ resource: "pods", scope: "node" }, ...nodeReads],
    remediation: "Keep the node filter.",
    at: config.locate({ path: base }),
    quiet: true
  };
}
var detector8 = (config) => {
  const doc = otelConfig(config);
  const processors = asMap(doc?.processors);
  if (!doc || !processors) return [];
  const used = pipelineComponents(doc, "processors");
  const out = [];
  for (const [id, raw] of Object.entries(processors)) {
    if (!PROCESSOR_ID.test(id) || used && !used.has(id)) continue;
    const processor = raw === null || raw === void 0 ? {} : asMap(raw);
    if (!processor) continue;
    if (isTrue4(processor.passthrough)) continue;
    out.push(judge2(config, id, processor));
  }
  return out;
};
var REMEDIATION9 = "Give the per-node collector's k8sattributes processor filter.node_from_env_var (env from fieldPath spec.nodeName) and extract.deployment_name_from_replicaset: true, so each replica reads only its own node's pods.";
var otelK8sattributes = {
  meta: {
    id: "watch-all/otel-k8sattributes",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag per-node OpenTelemetry Collectors whose k8sattributes processor watches pods without a node filter (model severity), or ReplicaSets, Namespaces and other workloads cluster-wide despite one (at most medium).",
    docs: "docs/rules/watch-all/otel-k8sattributes.md",
    remediation: REMEDIATION9
  },
  check(ctx) {
    reportDetections(ctx, detector8);
  }
};

// rules/watch-all/otel-cluster-receivers.ts
var RECEIVER_ID = /^(k8s_cluster|k8sobjects|k8s_objects|k8s_events)(\/.*)?$/;
var K8S_CLUSTER_KINDS = [
  "pods",
  "nodes",
  "namespaces",
  "services",
  "replicationcontrollers",
  "resourcequotas",
  "deployments",
  "replicasets",
  "daemonsets",
  "statefulsets",
  "jobs",
  "cronjobs",
  "horizontalpodautoscalers"
];
var DEFAULT_PULL_MS = 60 * 60 * 1e3;
var UNIT_MS2 = { ns: 1e-6, us: 1e-3, \u00B5s: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 36e5 };
function durationMs2(text) {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return void 0;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS2[m[2]];
  return total;
}
function k8sobjectsProfile(receiver) {
  const profile = { reads: [], pulls: [], cluster: [], node: [] };
  for (const o of asList(receiver.objects)) {
    const object = asMap(o);
    const name = asString(object?.name)?.trim().toLowerCase();
    if (!object || !name) continue;
    const selector = asString(object.field_selector) ?? "";
    const nodeScoped = name === "pods" && /(^|,)\s*spec\.nodeName\s*==?\s*[^,\s]/.test(selector) || name === "nodes" && /(^|,)\s*metadata\.name\s*==?\s*[^,\s]/.test(selector);
    profile.reads.push({ resource: name, scope: nodeScoped ? "node" : "cluster" });
    const watch = (asString(object.mode) ?? "pull").trim().toLowerCase() === "watch";
    if (!watch) profile.pulls.push(durationMs2(asString(object.interval) ?? "") ?? DEFAULT_PULL_MS);
    (nodeScoped ? profile.node : profile.cluster).push(`${name} (${watch ? "watch" : "pull"})`);
  }
  return profile;
}
function profileOf(type2, receiver) {
  if (type2 === "k8s_cluster") return { reads: K8S_CLUSTER_KINDS.map((resource2) => ({ resource: resource2, scope: "cluster" })), pulls: [], cluster: [...K8S_CLUSTER_KINDS], node: [] };
  if (type2 === "k8s_events") {
    const namespaces = asStrings(receiver.namespaces);
    return { reads: [{ resource: "events", scope: "cluster" }], pulls: [], cluster: [namespaces.length ? `events of namespaces ${listing(namespaces.map(quote))}` : "events"], node: [] };
  }
  return k8sobjectsProfile(receiver);
}
var LEADER_REMEDIATION = "Move the receiver to a single-replica Deployment (a cluster collector) and keep only node-local receivers in the per-node collector, so no replica polls the election Lease.";
var NO_LEADER_REMEDIATION = "Move the receiver to a single-replica Deployment (a cluster collector), or reference a k8s_leader_elector extension from it (k8s_leader_elector: k8s_leader_elector/<name>) so only one replica reads the cluster.";
function judge3(id, receiver, locate2) {
  const type2 = id.split("/")[0];
  const profile = profileOf(type2, receiver);
  if (!profile.reads.length) return void 0;
  const base = ["receivers", id];
  const name = quote(id);
  const elector = asString(receiver.k8s_leader_elector)?.trim();
  if (elector) {
    return {
      key: `receivers.${id}`,
      what: `receiver ${name} elects a leader (k8s_leader_elector ${quote(elector)}): only the leader reads ${listing([...profile.cluster, ...profile.node])}, but every replica on every node polls the election's Lease, about one GET from etcd every 3.2 s each`,
      // Each candidate GETs one named Lease: a bounded read; the polling is the leader-election term.
      reads: [{ resource: "leases", scope: "node" }],
      leaderElection: true,
      maxSeverity: "medium",
      remediation: LEADER_REMEDIATION,
      at: locate2(base)
    };
  }
  const poll = profile.pulls.length ? { intervalMs: Math.min(...profile.pulls), kinds: profile.pulls.length } : void 0;
  if (profile.reads.every((r) => r.scope === "node")) {
    return { key: `receivers.${id}`, what: `receiver ${name} reads only its own node's ${listing(profile.node)}`, reads: profile.reads, ...poll ? { poll } : {}, remediation: "Keep the node field selectors.", at: locate2(base), quiet: true };
  }
  return {
    key: `receivers.${id}`,
    what: `receiver ${name} has no k8s_leader_elector, so every replica on every node reads ${listing(profile.cluster)} cluster-wide${profile.node.length ? ` (and ${listing(profile.node)} of its own node only)` : ""}`,
    reads: profile.reads,
    ...poll ? { poll } : {},
    remediation: NO_LEADER_REMEDIATION,
    at: locate2(base)
  };
}
var detector9 = (config) => {
  const doc = otelConfig(config);
  const receivers = asMap(doc?.receivers);
  if (!doc || !receivers) return [];
  const used = pipelineComponents(doc, "receivers");
  const out = [];
  for (const [id, raw] of Object.entries(receivers)) {
    if (!RECEIVER_ID.test(id) || used && !used.has(id)) continue;
    const d = judge3(id, asMap(raw) ?? {}, (path) => config.locate({ path }));
    if (d) out.push(d);
  }
  return out;
};
var REMEDIATION10 = "Run k8s_cluster, k8sobjects and k8s_events receivers in a single-replica Deployment (a cluster collector) instead of the per-node collector, or at least behind a k8s_leader_elector extension.";
var otelClusterReceivers = {
  meta: {
    id: "watch-all/otel-cluster-receivers",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag cluster-scoped OpenTelemetry Collector receivers (k8s_cluster, k8sobjects, k8s_events) in a per-node collector: every node reading the cluster without leader election (model severity), or every node polling the election Lease with it (at most medium).",
    docs: "docs/rules/watch-all/otel-cluster-receivers.md",
    remediation: REMEDIATION10
  },
  check(ctx) {
    reportDetections(ctx, detector9);
  }
};

// rules/watch-all/vector-apiserver-cache.ts
var REMEDIATION11 = "Set use_apiserver_cache: true on the kubernetes_logs source so each node lists from the API server watch cache instead of etcd.";
var READS = [
  { resource: "pods", scope: "node" },
  { resource: "nodes", scope: "node" },
  { resource: "namespaces", scope: "cluster" }
];
function boolOf(v) {
  if (typeof v === "boolean") return v;
  const s = asString(v)?.trim().toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  return void 0;
}
function yamlSources(config) {
  const sources = asMap(asMap(config.doc)?.sources);
  if (!sources) return [];
  const out = [];
  for (const [id, value] of Object.entries(sources)) {
    const src = asMap(value);
    if (!src || asString(src.type) !== "kubernetes_logs") continue;
    const has = Object.prototype.hasOwnProperty.call(src, "use_apiserver_cache");
    out.push({
      id,
      cache: has ? boolOf(src.use_apiserver_cache) : void 0,
      ...has ? { raw: String(src.use_apiserver_cache), atCache: config.locate({ path: ["sources", id, "use_apiserver_cache"] }) } : {},
      atType: config.locate({ path: ["sources", id, "type"] })
    });
  }
  return out;
}
function tomlPath(s) {
  const out = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(\.|$)/y;
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < s.length && (m = re.exec(s))) {
    out.push(m[1] ?? m[2] ?? m[3]);
    if (m[4] === "") break;
  }
  return out;
}
function tomlScalar(raw) {
  const v = raw.trim();
  const q = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(v);
  if (q) return q[1] ?? q[2];
  return v.replace(/\s+#.*$/, "").trim();
}
function tomlSources(config) {
  const found = /* @__PURE__ */ new Map();
  const get = (id) => found.get(id) ?? found.set(id, {}).get(id);
  let table = [];
  config.text.split("\n").forEach((line3, i) => {
    const t = line3.trim();
    if (!t || t.startsWith("#")) return;
    const header = /^\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(t);
    if (header) {
      table = tomlPath(header[1]);
      return;
    }
    if (!t.includes("=")) return;
    const kv = /^((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)(?:[ \t]*\.[ \t]*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)[ \t]*=[ \t]*(.*)$/.exec(t);
    if (!kv) return;
    const path = [...table, ...tomlPath(kv[1])];
    const value = kv[2].trim();
    if (value.startsWith("{") && path.length === 2 && path[0] === "sources") {
      const s2 = get(path[1]);
      const type2 = /\btype\s*=\s*("[^"]*"|'[^']*')/.exec(value);
      const cache2 = /\buse_apiserver_cache\s*=\s*([A-Za-z]+)/.exec(value);
      if (type2) Object.assign(s2, { type: tomlScalar(type2[1]), typeLine: i });
      if (cache2) Object.assign(s2, { cache: cache2[1], cacheLine: i });
      return;
    }
    if (path.length !== 3 || path[0] !== "sources") return;
    const s = get(path[1]);
    if (path[2] === "type") Object.assign(s, { type: tomlScalar(value), typeLine: i });
    else if (path[2] === "use_apiserver_cache") Object.assign(s, { cache: tomlScalar(value), cacheLine: i });
  });
  const out = [];
  for (const [id, s] of found) {
    if (s.type !== "kubernetes_logs" || s.typeLine === void 0) continue;
    out.push({
      id,
      cache: s.cache === void 0 ? void 0 : boolOf(s.cache),
      ...s.cache !== void 0 && s.cacheLine !== void 0 ? { raw: s.cache, atCache: config.locate({ line: s.cacheLine }) } : {},
      atType: config.locate({ line: s.typeLine })
    });
  }
  return out;
}
var detector10 = (config) => {
  if (config.format === "args") return [];
  const sources = config.format === "yaml" && config.doc !== null ? yamlSources(config) : config.text ? tomlSources(config) : [];
  return sources.map((s) => {
    const name = JSON.stringify(s.id);
    if (s.cache === true) {
      return {
        key: `sources.${s.id}`,
        what: `source ${name} (kubernetes_logs) lists its node's pods and its Node with field selectors, from the API server watch cache ("use_apiserver_cache: true")`,
        reads: READS,
        remediation: REMEDIATION11,
        at: s.atCache ?? s.atType,
        quiet: true
      };
    }
    const setting = s.atCache ? `"use_apiserver_cache: ${s.raw}"` : 'no "use_apiserver_cache" (the default is false)';
    return {
      key: `sources.${s.id}.use_apiserver_cache`,
      what: `source ${name} (kubernetes_logs) has ${setting}: every node's pod and Node LIST is a consistent read, served from etcd on clusters before Kubernetes 1.31, so etcd reads every pod of the cluster for each node (flagged whatever the cluster's version, which the check cannot see; the load figures count API-server traffic only)`,
      reads: READS,
      severity: "medium",
      remediation: REMEDIATION11,
      at: s.atCache ?? s.atType
    };
  });
};
var vectorApiserverCache = {
  meta: {
    id: "watch-all/vector-apiserver-cache",
    family: "watch-all",
    type: "state",
    severity: "medium",
    description: "Flag Vector kubernetes_logs sources in per-node agents that list without the API server watch cache (use_apiserver_cache false, the default), so every node's LIST is served from etcd on clusters before Kubernetes 1.31.",
    docs: "docs/rules/watch-all/vector-apiserver-cache.md",
    remediation: REMEDIATION11
  },
  check(ctx) {
    reportDetections(ctx, detector10);
  }
};

// rules/watch-all/detectors.ts
var DETECTORS = [detector2, detector3, detector8, detector9, detector6, detector4, detector7, detector5, detector10, detector];

// src/rbac.ts
var GROUPS = {
  pods: [""],
  nodes: [""],
  endpoints: [""],
  events: ["", "events.k8s.io"],
  services: [""],
  namespaces: [""],
  configmaps: [""],
  secrets: [""],
  serviceaccounts: [""],
  persistentvolumes: [""],
  persistentvolumeclaims: [""],
  replicationcontrollers: [""],
  resourcequotas: [""],
  limitranges: [""],
  podtemplates: [""],
  endpointslices: ["discovery.k8s.io"],
  leases: ["coordination.k8s.io"],
  replicasets: ["apps", "extensions"],
  deployments: ["apps", "extensions"],
  daemonsets: ["apps", "extensions"],
  statefulsets: ["apps"],
  controllerrevisions: ["apps"],
  jobs: ["batch"],
  cronjobs: ["batch"],
  ingresses: ["networking.k8s.io", "extensions"],
  networkpolicies: ["networking.k8s.io", "extensions"],
  ingressclasses: ["networking.k8s.io"],
  horizontalpodautoscalers: ["autoscaling"],
  poddisruptionbudgets: ["policy"],
  storageclasses: ["storage.k8s.io"],
  csinodes: ["storage.k8s.io"],
  csidrivers: ["storage.k8s.io"],
  volumeattachments: ["storage.k8s.io"],
  customresourcedefinitions: ["apiextensions.k8s.io"]
};
var LIST_VERBS = /* @__PURE__ */ new Set(["list", "watch", "*"]);
var RBAC_GROUP = "rbac.authorization.k8s.io/";
var VIEW_RULES = [
  { apiGroups: [""], resources: ["pods", "endpoints", "events", "services", "namespaces", "configmaps", "persistentvolumeclaims", "serviceaccounts", "replicationcontrollers"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apps"], resources: ["controllerrevisions", "daemonsets", "deployments", "replicasets", "statefulsets"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: ["get", "list", "watch"] }
];
var BUILT_IN_ROLES = {
  "cluster-admin": [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
  admin: VIEW_RULES,
  edit: VIEW_RULES,
  view: VIEW_RULES
};
function nonEmpty(value) {
  const s = asString(value);
  return s === void 0 || s === "" ? void 0 : s;
}
function serviceAccountOf(workload) {
  const namespace = workload.namespace;
  const named = (path) => {
    const name = nonEmpty(getIn(workload.doc, path));
    return name === void 0 ? void 0 : { namespace, name, path };
  };
  if (workload.kind === "OpenTelemetryCollector") {
    if (!workload.name) return void 0;
    const suffix = "-collector";
    return named(["spec", "serviceAccount"]) ?? { namespace, name: `${workload.name.slice(0, 63 - suffix.length)}${suffix}`, path: null };
  }
  if (workload.kind === "Prometheus" || workload.kind === "PrometheusAgent") {
    return named(["spec", "serviceAccountName"]) ?? { namespace, name: "default", path: null };
  }
  const podSpec = ["spec", "template", "spec"];
  if (!asMap(getIn(workload.doc, podSpec))) return void 0;
  return named([...podSpec, "serviceAccountName"]) ?? named([...podSpec, "serviceAccount"]) ?? { namespace, name: "default", path: null };
}
function subjectMatch(subject, sa) {
  const s = asMap(subject);
  if (!s) return void 0;
  const kind = asString(s.kind);
  const name = asString(s.name);
  if (!kind || !name) return void 0;
  const nsMatches = (ns) => ns !== void 0 && ns !== "" && (sa.namespace === null || ns === sa.namespace);
  if (kind === "ServiceAccount") {
    const ns = asString(s.namespace);
    return name === sa.name && nsMatches(ns) ? `ServiceAccount "${ns}/${name}"` : void 0;
  }
  if (kind === "User") {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
    return m && m[2] === sa.name && nsMatches(m[1]) ? `User "${name}"` : void 0;
  }
  if (kind === "Group") {
    if (name === "system:serviceaccounts" || name === "system:authenticated") return `Group "${name}"`;
    const m = /^system:serviceaccounts:([^:]+)$/.exec(name);
    return m && nsMatches(m[1]) ? `Group "${name}"` : void 0;
  }
  return void 0;
}
function labelsOf2(object) {
  const out = {};
  for (const [k, v] of Object.entries(asMap(getIn(object.doc, ["metadata", "labels"])) ?? {})) {
    if (typeof v === "string") out[k] = v;
  }
  return out;
}
function listedResources(rule) {
  const none = { verbs: [], wildcard: false, resources: [] };
  const r = asMap(rule);
  if (!r) return none;
  const verbs = asStrings(r.verbs).filter((v) => LIST_VERBS.has(v));
  if (verbs.length === 0) return none;
  if (asStrings(r.resourceNames).length > 0) return none;
  const groups = asStrings(r.apiGroups);
  const anyGroup = groups.includes("*");
  const out = /* @__PURE__ */ new Map();
  const add = (group, resource2) => {
    if (!out.has(resource2)) out.set(resource2, { group, resource: resource2 });
  };
  let wildcard = false;
  for (const entry of asStrings(r.resources)) {
    if (entry.includes("/")) continue;
    if (entry === "*") {
      wildcard = true;
      for (const kind of NODE_SCALING_KINDS) {
        const g = anyGroup ? GROUPS[kind][0] : GROUPS[kind].find((x) => groups.includes(x));
        if (g !== void 0) add(g, kind);
      }
      continue;
    }
    const known = GROUPS[entry];
    if (known) {
      const g = anyGroup ? known[0] : known.find((x) => groups.includes(x));
      if (g !== void 0) add(g, entry);
    } else if (groups.length > 0) {
      add(groups.find((g) => g !== "*") ?? "*", entry);
    }
  }
  if (out.size === 0) return none;
  return { verbs, wildcard, resources: [...out.values()] };
}
var indexes2 = /* @__PURE__ */ new WeakMap();
function subjectKey(subject) {
  const s = asMap(subject);
  const kind = asString(s?.kind);
  const name = asString(s?.name);
  if (!kind || !name) return void 0;
  if (kind === "ServiceAccount") return `sa:${name}`;
  if (kind === "User") {
    const m = /^system:serviceaccount:[^:]+:([^:]+)$/.exec(name);
    return m ? `sa:${m[1]}` : void 0;
  }
  if (kind === "Group") return `group:${name.startsWith("system:serviceaccounts:") ? "system:serviceaccounts:*" : name}`;
  return void 0;
}
var rolePartsOf = (o) => [o.doc.rules, o.doc.aggregationRule, getIn(o.doc, ["metadata", "labels"])];
var bindingPartsOf = (o) => [o.doc.roleRef, o.doc.subjects];
var copyKeys = /* @__PURE__ */ new WeakMap();
function copyKey(o, parts) {
  const cacheable = o.source === void 0 ? o : void 0;
  const known = cacheable && copyKeys.get(cacheable);
  if (known) return known;
  const id = `${o.kind}\0${o.name}\0${JSON.stringify(parts)}`;
  if (cacheable) copyKeys.set(cacheable, id);
  return id;
}
function indexOf(objects) {
  let index = indexes2.get(objects);
  if (index) return index;
  index = { roles: /* @__PURE__ */ new Map(), allRoles: [], bindingsBySubject: /* @__PURE__ */ new Map(), rules: /* @__PURE__ */ new Map(), labels: /* @__PURE__ */ new Map(), grants: /* @__PURE__ */ new Map(), order: /* @__PURE__ */ new Map() };
  const seen = /* @__PURE__ */ new Set();
  const names = /* @__PURE__ */ new Map();
  const firstCopy = (o, ...parts) => {
    const nameKey = `${o.kind}\0${o.name}`;
    const earlier = names.get(nameKey);
    if (!earlier) {
      names.set(nameKey, o);
      return true;
    }
    if (!seen.has(nameKey)) {
      seen.add(nameKey);
      seen.add(copyKey(earlier, o.kind === "ClusterRole" ? rolePartsOf(earlier) : bindingPartsOf(earlier)));
    }
    const id = copyKey(o, parts);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  for (const o of objects) {
    if (!o.apiVersion.startsWith(RBAC_GROUP) || !o.name) continue;
    if (o.kind === "ClusterRole") {
      if (!firstCopy(o, ...rolePartsOf(o))) continue;
      index.allRoles.push(o);
      const list = index.roles.get(o.name) ?? [];
      list.push(o);
      index.roles.set(o.name, list);
    } else if (o.kind === "ClusterRoleBinding") {
      if (!firstCopy(o, ...bindingPartsOf(o))) continue;
      index.order.set(o, index.order.size);
      const keys = new Set(asList(o.doc.subjects).map(subjectKey).filter((k) => k !== void 0));
      for (const k of keys) (index.bindingsBySubject.get(k) ?? index.bindingsBySubject.set(k, []).get(k)).push(o);
    }
  }
  indexes2.set(objects, index);
  return index;
}
function effectiveRules(role, index, visiting) {
  const known = index.rules.get(role);
  if (known) return known;
  const top = visiting === void 0;
  const seen = visiting ?? /* @__PURE__ */ new Set();
  if (seen.has(role)) return [];
  seen.add(role);
  const aggregation = asMap(role.doc.aggregationRule);
  let out;
  if (!aggregation) out = asList(role.doc.rules).map((rule, ruleIndex) => ({ source: role.name, ruleIndex, rule }));
  else {
    const selectors = asList(aggregation.clusterRoleSelectors).filter((s) => asMap(s) !== void 0);
    out = [];
    for (const other of index.allRoles) {
      if (other === role || seen.has(other)) continue;
      let labels = index.labels.get(other);
      if (!labels) index.labels.set(other, labels = labelsOf2(other));
      if (selectors.some((s) => matchesSelector(s, labels))) out.push(...effectiveRules(other, index, seen));
    }
  }
  if (top) index.rules.set(role, out);
  return out;
}
function clusterGrantsFor(sa, unitObjects) {
  const index = indexOf(unitObjects);
  const cacheKey = `${sa.namespace ?? ""}\0${sa.name}`;
  const cached = index.grants.get(cacheKey);
  if (cached) return cached;
  const candidates = /* @__PURE__ */ new Set([
    ...index.bindingsBySubject.get(`sa:${sa.name}`) ?? [],
    ...index.bindingsBySubject.get("group:system:serviceaccounts") ?? [],
    ...index.bindingsBySubject.get("group:system:serviceaccounts:*") ?? [],
    ...index.bindingsBySubject.get("group:system:authenticated") ?? []
  ]);
  const grants = [];
  for (const binding of candidates) {
    const roleRef = asMap(binding.doc.roleRef);
    if (asString(roleRef?.kind) !== "ClusterRole") continue;
    const roleName = nonEmpty(roleRef?.name);
    if (!roleName) continue;
    let subject;
    for (const s of asList(binding.doc.subjects)) {
      subject = subjectMatch(s, sa);
      if (subject) break;
    }
    if (!subject) continue;
    const roles = index.roles.get(roleName);
    const base = { binding, subject, role: roleName };
    if (roles) {
      for (const role of roles) {
        for (const { source, ruleIndex, rule } of effectiveRules(role, index)) {
          const listed = listedResources(rule);
          if (listed.resources.length > 0) grants.push({ ...base, source, builtIn: false, ruleIndex, ...listed });
        }
      }
    } else if (Object.prototype.hasOwnProperty.call(BUILT_IN_ROLES, roleName)) {
      for (const rule of BUILT_IN_ROLES[roleName]) {
        const listed = listedResources(rule);
        if (listed.resources.length > 0) grants.push({ ...base, source: roleName, builtIn: true, ruleIndex: null, ...listed });
      }
    }
  }
  grants.sort((a, b) => (index.order.get(a.binding) ?? 0) - (index.order.get(b.binding) ?? 0));
  index.grants.set(cacheKey, grants);
  return grants;
}
function grantsNodeScaling(grant) {
  return grant.resources.some((r) => isNodeScaling(r.resource));
}

// rules/watch-all/daemonset-cluster-watch.ts
var API_SCOPE_ANNOTATION = "blast-radius.dev/api-scope";
var REMEDIATION12 = "Scope the agent to its own node (a spec.nodeName field selector or the kubelet API) and declare blast-radius.dev/api-scope: node on the workload, or run cluster-wide collection as a single Deployment instead of on every node.";
function scopeOf(o) {
  const places = [
    ["metadata", "annotations"],
    ["spec", "template", "metadata", "annotations"],
    ["spec", "podAnnotations"],
    ["spec", "podMetadata", "annotations"]
  ];
  for (const p of places) {
    const raw = asString(asMap(getIn(o.doc, p))?.[API_SCOPE_ANNOTATION]);
    if (raw === void 0) continue;
    const v = raw.trim().toLowerCase();
    if (v === "node" || v === "cluster") return { scope: v };
    return { scope: "unknown", raw };
  }
  return { scope: "unknown" };
}
var LOWER = { critical: "high", high: "medium", medium: "low", low: "low" };
function byKind2(a, b) {
  const rank = (r) => {
    const i = NODE_SCALING_KINDS.indexOf(r);
    return i < 0 ? NODE_SCALING_KINDS.length : i;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
function describeChains(grants) {
  const chains = [];
  for (const g of grants) {
    const via = g.subject.startsWith("ServiceAccount ") ? "" : ` (subject ${g.subject})`;
    const role = g.builtIn ? " (Kubernetes default)" : g.source !== g.role ? ` (aggregating ${quote(g.source)})` : "";
    const text = `ClusterRoleBinding ${quote(g.binding.name)}${via} \u2192 ClusterRole ${quote(g.role)}${role}`;
    if (!chains.includes(text)) chains.push(text);
  }
  const shown = chains.slice(0, 3);
  return listing(chains.length > 3 ? [...shown, `${chains.length - 3} more`] : shown);
}
function locationOf(o, kind, saPath) {
  if (saPath) return saPath;
  if (kind === "DaemonSet") return asMap(getIn(o.doc, ["spec", "template", "spec"])) ? ["spec", "template", "spec"] : ["metadata", "name"];
  return ["spec", "mode"];
}
function nearest(o, sa, unitObjects, grants) {
  if (o.unit !== REST_UNIT || grants.length === 0) return grants;
  const binders = bindersOf(unitObjects, sa);
  const id = (b) => `${b.name}\0${asString(getIn(b.doc, ["roleRef", "name"]))}`;
  const near = new Set(closest(sourceFile(o), binders, sourceFile).map(id));
  return grants.filter((g) => near.has(id(g.binding)));
}
var binderIndex = /* @__PURE__ */ new WeakMap();
function bindersOf(unitObjects, sa) {
  let index = binderIndex.get(unitObjects);
  if (!index) binderIndex.set(unitObjects, index = { all: unitObjects.filter((x) => x.kind === "ClusterRoleBinding"), bySa: /* @__PURE__ */ new Map() });
  const key = `${sa.namespace ?? ""}\0${sa.name}`;
  let list = index.bySa.get(key);
  if (!list) index.bySa.set(key, list = index.all.filter((x) => asList(x.doc.subjects).some((s) => subjectMatch(s, sa) !== void 0)));
  return list;
}
function assess(ctx, o, unitObjects) {
  const kind = perNode(o);
  if (!kind || isNodeInfrastructure(o)) return void 0;
  const declared = scopeOf(o);
  let { scope } = declared;
  const { raw } = declared;
  let evidence;
  if (scope === "unknown") {
    const fromConfig = configScope(o, unitObjects, DETECTORS);
    if (fromConfig) {
      scope = fromConfig.scope;
      evidence = fromConfig.because;
    }
  }
  if (scope === "node") return void 0;
  const sa = serviceAccountOf(o);
  if (!sa) return void 0;
  const grants = nearest(o, sa, unitObjects, clusterGrantsFor(sa, unitObjects));
  const triggering = grants.filter(grantsNodeScaling);
  if (triggering.length === 0) return void 0;
  const resources = [...new Set(grants.flatMap((g) => g.resources.map((r) => r.resource)))].sort(byKind2);
  return { o, kind, scope, ...raw !== void 0 ? { raw } : {}, ...evidence !== void 0 ? { evidence } : {}, sa, grants, triggering, resources, clusters: [...ctx.fleet.clustersOfObject(o, ctx.side)] };
}
var judged = /* @__PURE__ */ new WeakMap();
function judge4(ctx, group, p, signature) {
  const { o, kind, scope, raw, evidence, sa, grants, triggering, resources } = group[0];
  const clusters = [...new Set(group.flatMap((a) => a.clusters))].map((name) => ctx.fleet.cluster(name)).filter((c) => c !== void 0).sort((a, b) => a.nodes - b.nodes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (clusters.length === 0) return;
  let perConfig = judged.get(ctx.config);
  if (!perConfig) judged.set(ctx.config, perConfig = /* @__PURE__ */ new WeakMap());
  const source = o.source ?? o;
  let perSource = perConfig.get(source);
  if (!perSource) perConfig.set(source, perSource = /* @__PURE__ */ new Map());
  const memoKey = `${signature}\0${clusters.map((c) => c.name).join()}`;
  const known = perSource.get(memoKey);
  if (known && known.at?.object === o) {
    ctx.report(known);
    return;
  }
  const profile = { watches: resources.map((resource2) => ({ resource: resource2, scope: "cluster" })) };
  const largest = clusters[clusters.length - 1];
  const load2 = agentLoad(profile, largest.nodes, p);
  const modelSeverity = load2.severity;
  const severity = scope === "cluster" ? modelSeverity : LOWER[modelSeverity];
  const verbs = [...new Set(triggering.flatMap((g) => g.verbs))].sort();
  const wildcard = grants.some((g) => g.wildcard) ? ' (resources "*" read as every node-scaling kind)' : "";
  const ns = sa.namespace ?? "(namespace unset)";
  const workload = `${kind} ${quote(o.namespace ? `${o.namespace}/${o.name}` : o.name)}`;
  const account = `ServiceAccount ${quote(`${ns}/${sa.name}`)}${sa.path ? "" : " (the default)"}`;
  const grantText = `${account}, which may ${verbs.includes("*") ? 'list and watch (verbs "*")' : listing(verbs)} ${listing(resources)} cluster-wide${wildcard} through ${describeChains(grants)}`;
  const scopeText = scope === "cluster" ? `${evidence !== void 0 ? `its config reads cluster-wide (${evidence})` : `declared ${API_SCOPE_ANNOTATION}: cluster`}; every replica lists them cluster-wide` : `api-scope unknown${raw !== void 0 ? ` (${API_SCOPE_ANNOTATION} ${quote(raw)} is neither node nor cluster)` : ""}: RBAC cannot be scoped to a node and nothing shows how the agent uses it, so this is one level below the model's ${modelSeverity} (declare ${API_SCOPE_ANNOTATION}: node on the ${kind} when every list is bounded to its node, or cluster); if every replica lists them cluster-wide`;
  const message = `per-node agent ${workload} runs as ${grantText}; ${scopeText}: ${stagingTrap(clusters, profile, p)}`;
  const finding = {
    key: `serviceaccount:${ns}/${sa.name}`,
    severity,
    message,
    remediation: REMEDIATION12,
    at: { object: o, path: locationOf(o, kind, sa.path) },
    clusters: clusters.map((c) => c.name),
    data: {
      scope,
      modelSeverity,
      resources,
      nodeScaling: resources.filter(isNodeScaling),
      clusterRoles: [...new Set(grants.map((g) => g.role))].sort(),
      largest: { name: largest.name, nodes: largest.nodes, relistBytes: load2.relistBytes, ratio: load2.ratio },
      chart: fleetChart(ctx.fleet, clusters, profile, p),
      // Per reached cluster, for the Markdown report's load table.
      load: loadRows(clusters, profile, p)
    }
  };
  perSource.set(memoKey, finding);
  ctx.report(finding);
}
var daemonsetClusterWatch = {
  meta: {
    id: "watch-all/daemonset-cluster-watch",
    family: "watch-all",
    type: "state",
    severity: "high",
    description: "Flag per-node agents (DaemonSets, OpenTelemetryCollector and PrometheusAgent in daemonset mode) whose ServiceAccount may list or watch node-scaling kinds cluster-wide, with severity from the load model at the largest reached cluster.",
    docs: "docs/rules/watch-all/daemonset-cluster-watch.md",
    remediation: REMEDIATION12
  },
  check(ctx) {
    const byUnit = objectsByUnit(ctx.tree.objects);
    const p = loadParams(ctx.config);
    const groups = /* @__PURE__ */ new Map();
    const sourceIds = /* @__PURE__ */ new Map();
    const signatures = /* @__PURE__ */ new Map();
    for (const objects of byUnit.values()) {
      for (const o of agentsIn(objects)) {
        if (ctx.only && !ctx.only.has(o.ref)) continue;
        const a = assess(ctx, o, objects);
        if (!a) continue;
        const source = o.source ?? o;
        if (!sourceIds.has(source)) sourceIds.set(source, sourceIds.size);
        const signature = [o.ref, a.scope, a.raw ?? "", a.evidence ?? "", a.sa.namespace, a.sa.name, a.resources.join(), describeChains(a.grants)].join("\0");
        const id = `${sourceIds.get(source)}\0${signature}`;
        (groups.get(id) ?? groups.set(id, []).get(id)).push(a);
        signatures.set(id, signature);
      }
    }
    for (const [id, group] of groups) judge4(ctx, group, p, signatures.get(id));
  }
};

// rules/index.ts
var RULES = [admissionWebhook, newDaemonset, daemonsetClusterWatch, prometheusSd, alloyDiscovery, otelK8sattributes, otelClusterReceivers, fluentBitKubernetes, beatsClusterScope, kubeStateMetricsDaemonset, datadogAgent, vectorApiserverCache, agentPollInterval];

// src/check.ts
var RULE_METAS = [...RULES.map((r) => r.meta), CONFIG_RULE];
var KNOWN_RULES = RULE_METAS.map((m) => m.id);
function showFile(repo, commit, path) {
  try {
    return git(repo, ["cat-file", "blob", `${commit}:${path}`]);
  } catch {
    return null;
  }
}
function configInForce(repo, baseRef, head, changes, file) {
  const notes = [];
  const headText = showFile(repo, head, CONFIG_FILE);
  const baseText = showFile(repo, baseRef, CONFIG_FILE);
  const headResult = headText === null ? void 0 : parseConfig(headText, KNOWN_RULES);
  let config;
  if (file !== void 0) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read config file ${file}: ${e.code ?? String(e)}`);
    }
    const r = parseConfig(text, KNOWN_RULES);
    if (!r.ok) throw new UsageError(`invalid config ${formatProblem(file, r.problems[0])}${r.problems.length > 1 ? ` (and ${r.problems.length - 1} more)` : ""}`);
    config = r.config;
  } else if (baseText === null) {
    config = defaultConfig();
  } else {
    const r = parseConfig(baseText, KNOWN_RULES);
    if (r.ok) config = r.config;
    else if (headResult?.ok) {
      config = headResult.config;
      notes.push(`${CONFIG_FILE} on the base is invalid (${formatProblem(CONFIG_FILE, r.problems[0])}); this check used the pull request's valid version`);
    } else {
      throw new UsageError(`invalid config ${formatProblem(CONFIG_FILE, r.problems[0])} (read from the base commit)${r.problems.length > 1 ? ` (and ${r.problems.length - 1} more)` : ""}`);
    }
  }
  const findings = [];
  const edited = changes.files.some((f) => f.path === CONFIG_FILE || f.oldPath === CONFIG_FILE);
  if (headText !== null && edited) {
    if (headResult && !headResult.ok) findings.push(...configFindings(CONFIG_FILE, headResult.problems));
    else notes.push(`this change edits ${CONFIG_FILE}; the new configuration takes effect once merged`);
  }
  return { config, findings, notes };
}
async function runCheck(opts) {
  const started = Date.now();
  assertRepo(opts.repo);
  const head = resolveCommit(opts.repo, opts.head ?? "HEAD", "head");
  const baseRef = opts.base ?? defaultBranch(opts.repo);
  const baseTip = resolveCommit(opts.repo, baseRef, "base");
  const base = mergeBase(opts.repo, baseTip, head);
  const treesRead = readTrees(opts.repo, { base, head, files: [] });
  const changes = { base, head, files: changedFiles(opts.repo, base, head) };
  let configured;
  try {
    configured = configInForce(opts.repo, baseTip, head, changes, opts.config);
  } catch (e) {
    treesRead.catch(() => void 0);
    throw e;
  }
  const { config, findings, notes } = configured;
  const trees = await treesRead;
  const { report } = analyze({ changes, ...trees, config, rules: RULES, labels: opts.labels, extraFindings: findings, notes, startedAt: started });
  const failOn = failOnLevel(opts.failOn, config);
  const exitCode = exitCodeFor(report.level, failOn);
  const context = { rules: RULE_METAS, base, head, failOn, exitCode };
  return { report, exitCode, failOn, context, output: render2(report, context, opts.format, opts.color ?? false) };
}
function render2(report, context, format, color = false) {
  switch (format) {
    case "json":
      return renderJson(report);
    case "markdown":
      return renderMarkdown(report, context);
    case "sarif":
      return renderSarif(report, context);
    default:
      return renderText(report, context, { color });
  }
}
async function check(opts) {
  const result2 = await runCheck(opts);
  if (opts.output) writeFileSync(opts.output, result2.output);
  else process.stdout.write(result2.output);
  return result2.exitCode;
}
export {
  RULE_METAS,
  check,
  configInForce,
  render2 as render,
  runCheck
};
