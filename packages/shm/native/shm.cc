// @ringkit/shm's native addon: named POSIX shared memory as a real SharedArrayBuffer, and
// futex waits/wakes that cross processes. V8 C++ API (N-API cannot make a SharedArrayBuffer
// on Node 20/22), so it is built for the running Node at install (node-gyp).
//
// Exports (all synchronous unless said):
//   map(name, size, create, mode) -> SharedArrayBuffer
//       create: shm_open(O_CREAT|O_EXCL, mode) + posix_fallocate(size) (ENOSPC now, not SIGBUS later)
//       open:   shm_open(O_RDWR), fstat for the size (size argument ignored)
//       throws Error { code: 'EEXIST'|'ENOENT'|'EACCES'|'ENOSPC'|..., errno, syscall }
//   unlink(name)                         shm_unlink
//   statfs(dir) -> [totalBytes, freeBytes]
//   wait(int32array, index, observed, ms) -> 0 woken (or spurious) | 1 not-equal | 2 timed out
//   wake(int32array, index, count) -> threads woken
//   waiterOpen() -> handle;  waiterWait(handle, int32array, index, observed, ms, callback(result));
//   waiterClose(handle)     one native thread per pending wait of a waiter (reused), signalling
//                           the event loop with uv_async; never the libuv pool
//
// Futexes are FUTEX_WAIT / FUTEX_WAKE *without* FUTEX_PRIVATE_FLAG: the kernel keys them by the
// shared page (inode + offset), so sleepers and wakers may be in different processes.
#include <node.h>
#include <uv.h>
#include <v8.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using v8::Array;
using v8::BackingStore;
using v8::Context;
using v8::Function;
using v8::FunctionCallbackInfo;
using v8::Global;
using v8::HandleScope;
using v8::Int32Array;
using v8::Integer;
using v8::Isolate;
using v8::Local;
using v8::Number;
using v8::Object;
using v8::SharedArrayBuffer;
using v8::String;
using v8::Value;

namespace {

// ---- errors ---------------------------------------------------------------------------------

void ThrowErrno(Isolate* isolate, int err, const char* syscall, const std::string& name) {
  Local<Context> ctx = isolate->GetCurrentContext();
  std::string msg = std::string(syscall) + " " + name + ": " + strerror(err);
  Local<Value> e = v8::Exception::Error(String::NewFromUtf8(isolate, msg.c_str()).ToLocalChecked());
  Local<Object> o = e.As<Object>();
  const char* code = err == EEXIST ? "EEXIST" : err == ENOENT ? "ENOENT" : err == EACCES ? "EACCES" : err == EPERM ? "EPERM"
      : err == ENOSPC ? "ENOSPC" : err == EINVAL ? "EINVAL" : err == ENAMETOOLONG ? "ENAMETOOLONG" : err == EMFILE ? "EMFILE"
      : err == ENOMEM ? "ENOMEM" : err == EFBIG ? "EFBIG" : "EOTHER";
  o->Set(ctx, String::NewFromUtf8Literal(isolate, "code"), String::NewFromUtf8(isolate, code).ToLocalChecked()).Check();
  o->Set(ctx, String::NewFromUtf8Literal(isolate, "errno"), Integer::New(isolate, err)).Check();
  o->Set(ctx, String::NewFromUtf8Literal(isolate, "syscall"), String::NewFromUtf8(isolate, syscall).ToLocalChecked()).Check();
  isolate->ThrowException(e);
}

void ThrowType(Isolate* isolate, const char* msg) {
  isolate->ThrowException(v8::Exception::TypeError(String::NewFromUtf8(isolate, msg).ToLocalChecked()));
}

// ---- segments -------------------------------------------------------------------------------

void Unmap(void* data, size_t length, void* /*deleter_data*/) {
  munmap(data, length);
}

void Map(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (args.Length() < 4 || !args[0]->IsString() || !args[1]->IsNumber() || !args[2]->IsBoolean() || !args[3]->IsNumber()) {
    return ThrowType(isolate, "map(name, size, create, mode)");
  }
  String::Utf8Value name(isolate, args[0]);
  std::string n(*name);
  double want = args[1].As<Number>()->Value();
  bool create = args[2]->BooleanValue(isolate);
  int mode = static_cast<int>(args[3].As<Number>()->Value());
  int fd = shm_open(n.c_str(), create ? (O_RDWR | O_CREAT | O_EXCL) : O_RDWR, static_cast<mode_t>(mode));
  if (fd < 0) return ThrowErrno(isolate, errno, "shm_open", n);
  size_t size;
  if (create) {
    size = static_cast<size_t>(want);
    if (fchmod(fd, static_cast<mode_t>(mode)) != 0) {  // the umask must not widen or narrow the mode asked for
      int err = errno;
      close(fd);
      shm_unlink(n.c_str());
      return ThrowErrno(isolate, err, "fchmod", n);
    }
    int err = posix_fallocate(fd, 0, static_cast<off_t>(size));
    if (err != 0) {
      close(fd);
      shm_unlink(n.c_str());
      return ThrowErrno(isolate, err, "posix_fallocate", n);
    }
  } else {
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int err = errno;
      close(fd);
      return ThrowErrno(isolate, err, "fstat", n);
    }
    size = static_cast<size_t>(st.st_size);
    if (size == 0) {
      close(fd);
      return ThrowErrno(isolate, EINVAL, "fstat (empty segment)", n);
    }
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (p == MAP_FAILED) {
    if (create) shm_unlink(n.c_str());
    return ThrowErrno(isolate, err, "mmap", n);
  }
  // One backing store per mapping (never wrap the same pointer twice): the deleter unmaps it
  // when the last SharedArrayBuffer over it, in any thread of this process, is collected.
  std::unique_ptr<BackingStore> store = SharedArrayBuffer::NewBackingStore(p, size, Unmap, nullptr);
  args.GetReturnValue().Set(SharedArrayBuffer::New(isolate, std::move(store)));
}

void Unlink(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsString()) return ThrowType(isolate, "unlink(name)");
  String::Utf8Value name(isolate, args[0]);
  if (shm_unlink(*name) != 0) return ThrowErrno(isolate, errno, "shm_unlink", *name);
}

void Statfs(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsString()) return ThrowType(isolate, "statfs(dir)");
  String::Utf8Value dir(isolate, args[0]);
  struct statvfs s;
  if (statvfs(*dir, &s) != 0) return ThrowErrno(isolate, errno, "statvfs", *dir);
  Local<Context> ctx = isolate->GetCurrentContext();
  Local<Array> out = Array::New(isolate, 2);
  out->Set(ctx, 0, Number::New(isolate, static_cast<double>(s.f_blocks) * static_cast<double>(s.f_frsize))).Check();
  out->Set(ctx, 1, Number::New(isolate, static_cast<double>(s.f_bavail) * static_cast<double>(s.f_frsize))).Check();
  args.GetReturnValue().Set(out);
}

// ---- futex ----------------------------------------------------------------------------------

enum WaitResult { kWoken = 0, kNotEqual = 1, kTimedOut = 2, kClosed = 3 };

int FutexWait(int32_t* addr, int32_t observed, double ms) {
  struct timespec ts;
  if (ms < 0) ms = 0;
  ts.tv_sec = static_cast<time_t>(ms / 1000);
  ts.tv_nsec = static_cast<long>((ms - static_cast<double>(ts.tv_sec) * 1000) * 1e6);
  long r = syscall(SYS_futex, addr, FUTEX_WAIT, observed, &ts, nullptr, 0);
  if (r == 0) return kWoken;
  if (errno == EAGAIN) return kNotEqual;
  if (errno == ETIMEDOUT) return kTimedOut;
  return kWoken;  // EINTR: a spurious wake-up, the caller re-checks
}

int FutexWake(int32_t* addr, int count) {
  long r = syscall(SYS_futex, addr, FUTEX_WAKE, count, nullptr, nullptr, 0);
  return r < 0 ? 0 : static_cast<int>(r);
}

// The word `index` of a shared Int32Array, with the backing store that keeps it mapped.
bool WordOf(Isolate* isolate, Local<Value> a, Local<Value> i, int32_t** addr, std::shared_ptr<BackingStore>* keep) {
  if (!a->IsInt32Array() || !i->IsNumber()) {
    ThrowType(isolate, "expected (Int32Array over a SharedArrayBuffer, index)");
    return false;
  }
  Local<Int32Array> ta = a.As<Int32Array>();
  double index = i.As<Number>()->Value();
  if (!ta->Buffer()->IsSharedArrayBuffer() || index < 0 || index >= static_cast<double>(ta->Length())) {
    ThrowType(isolate, "expected a word of an Int32Array over a SharedArrayBuffer");
    return false;
  }
  std::shared_ptr<BackingStore> store = ta->Buffer()->GetBackingStore();
  *addr = reinterpret_cast<int32_t*>(static_cast<char*>(store->Data()) + ta->ByteOffset()) + static_cast<size_t>(index);
  if (keep != nullptr) *keep = store;
  return true;
}

void Wait(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  int32_t* addr;
  if (args.Length() < 4 || !WordOf(isolate, args[0], args[1], &addr, nullptr)) return;
  int32_t observed = static_cast<int32_t>(args[2].As<Number>()->Value());
  double ms = args[3].As<Number>()->Value();
  args.GetReturnValue().Set(FutexWait(addr, observed, ms));
}

void Wake(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  int32_t* addr;
  if (args.Length() < 3 || !WordOf(isolate, args[0], args[1], &addr, nullptr)) return;
  int count = static_cast<int>(args[2].As<Number>()->Value());
  args.GetReturnValue().Set(FutexWake(addr, count));
}

// ---- asynchronous waits -------------------------------------------------------------------------

struct Env;

// One waiter (a ring object's futex waiter in one thread): native threads that each sleep on one
// futex for one pending waitAsync, then hand the result to the event loop. A thread is reused for
// the next wait; more threads start only while waits of this waiter overlap.
struct AsyncWaiter {
  struct Request {
    uint32_t id;
    int32_t* addr;
    int32_t observed;
    double ms;
    std::shared_ptr<BackingStore> keep;
  };
  struct Slot {
    std::thread thread;
    bool busy = false;
    bool has = false;
    Request req;
    std::condition_variable cv;
    std::atomic<int32_t*> current{nullptr};  // the word this thread sleeps on, for Close()
  };
  Env* env;
  std::mutex mu;
  std::vector<std::unique_ptr<Slot>> slots;
  bool stopping = false;

  explicit AsyncWaiter(Env* e) : env(e) {}
  void Submit(Request r);
  void Close();
  void Run(Slot* s);
};

struct Env {
  Isolate* isolate;
  uv_async_t async;
  std::mutex mu;
  std::vector<std::pair<uint32_t, int>> done;  // (request id, result), filled by waiter threads
  std::map<uint32_t, Global<Function>> callbacks;  // loop thread only
  std::map<int, std::unique_ptr<AsyncWaiter>> waiters;  // loop thread only
  uint32_t nextRequest = 1;
  int nextWaiter = 1;
  size_t pending = 0;
  bool refed = false;

  void Post(uint32_t id, int result) {
    {
      std::lock_guard<std::mutex> lock(mu);
      done.emplace_back(id, result);
    }
    uv_async_send(&async);
  }
};

void AsyncWaiter::Submit(Request r) {
  std::lock_guard<std::mutex> lock(mu);
  for (auto& s : slots) {
    if (!s->busy) {
      s->busy = true;
      s->has = true;
      s->req = std::move(r);
      s->cv.notify_one();
      return;
    }
  }
  slots.emplace_back(new Slot());
  Slot* s = slots.back().get();
  s->busy = true;
  s->has = true;
  s->req = std::move(r);
  s->thread = std::thread([this, s] { Run(s); });
}

void AsyncWaiter::Run(Slot* s) {
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    s->cv.wait(lock, [&] { return s->has || stopping; });
    if (!s->has) return;
    Request r = std::move(s->req);
    s->has = false;
    lock.unlock();
    // Bounded: the caller's slice (core sleeps at most 50 ms at a time); Close() wakes it sooner.
    s->current.store(r.addr);
    int result = stopping ? kClosed : FutexWait(r.addr, r.observed, r.ms);
    s->current.store(nullptr);
    r.keep.reset();
    env->Post(r.id, result);
    lock.lock();
    s->busy = false;
    if (stopping) return;
  }
}

void AsyncWaiter::Close() {
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
    for (auto& s : slots) {
      s->cv.notify_one();
      // A thread asleep in a futex would return at its (short) timeout: wake it now. Other
      // sleepers on that word wake too and re-check (a spurious wake-up, which every caller allows).
      int32_t* current = s->current.load();
      if (current != nullptr) FutexWake(current, 0x7fffffff);
    }
  }
  for (auto& s : slots) if (s->thread.joinable()) s->thread.join();
}

void Deliver(uv_async_t* handle) {
  Env* env = static_cast<Env*>(handle->data);
  Isolate* isolate = env->isolate;
  HandleScope scope(isolate);
  std::vector<std::pair<uint32_t, int>> batch;
  {
    std::lock_guard<std::mutex> lock(env->mu);
    batch.swap(env->done);
  }
  Local<Context> ctx = isolate->GetCurrentContext();
  for (auto& d : batch) {
    auto it = env->callbacks.find(d.first);
    if (it == env->callbacks.end()) continue;
    Local<Function> cb = it->second.Get(isolate);
    env->callbacks.erase(it);
    env->pending--;
    if (env->pending == 0 && env->refed) {
      uv_unref(reinterpret_cast<uv_handle_t*>(&env->async));
      env->refed = false;
    }
    Local<Value> argv[1] = {Integer::New(isolate, d.second)};
    if (ctx.IsEmpty()) continue;
    node::MakeCallback(isolate, ctx->Global(), cb, 1, argv, {0, 0});
  }
}

Env* EnvOf(const FunctionCallbackInfo<Value>& args) {
  return static_cast<Env*>(args.Data().As<v8::External>()->Value());
}

void WaiterOpen(const FunctionCallbackInfo<Value>& args) {
  Env* env = EnvOf(args);
  int id = env->nextWaiter++;
  env->waiters[id] = std::unique_ptr<AsyncWaiter>(new AsyncWaiter(env));
  args.GetReturnValue().Set(id);
}

void WaiterWait(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  Env* env = EnvOf(args);
  if (args.Length() < 6 || !args[0]->IsNumber() || !args[5]->IsFunction()) return ThrowType(isolate, "waiterWait(handle, ctl, index, observed, ms, callback)");
  auto it = env->waiters.find(static_cast<int>(args[0].As<Number>()->Value()));
  if (it == env->waiters.end()) return ThrowType(isolate, "waiterWait: this waiter is closed");
  AsyncWaiter::Request r;
  if (!WordOf(isolate, args[1], args[2], &r.addr, &r.keep)) return;
  r.observed = static_cast<int32_t>(args[3].As<Number>()->Value());
  r.ms = args[4].As<Number>()->Value();
  r.id = env->nextRequest++;
  env->callbacks[r.id].Reset(isolate, args[5].As<Function>());
  if (env->pending++ == 0 && !env->refed) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&env->async));  // a pending wait keeps the loop alive
    env->refed = true;
  }
  it->second->Submit(std::move(r));
}

void WaiterClose(const FunctionCallbackInfo<Value>& args) {
  Env* env = EnvOf(args);
  if (args.Length() < 1 || !args[0]->IsNumber()) return;
  auto it = env->waiters.find(static_cast<int>(args[0].As<Number>()->Value()));
  if (it == env->waiters.end()) return;
  std::unique_ptr<AsyncWaiter> w = std::move(it->second);
  env->waiters.erase(it);
  w->Close();  // its threads' last results are delivered by the next Deliver
}

void Cleanup(void* arg) {
  Env* env = static_cast<Env*>(arg);
  for (auto& w : env->waiters) w.second->Close();
  env->waiters.clear();
  for (auto& c : env->callbacks) c.second.Reset();
  env->callbacks.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&env->async), [](uv_handle_t* h) { delete static_cast<Env*>(h->data); });
}

void Set(Local<Object> exports, Local<Context> ctx, Isolate* isolate, const char* name, v8::FunctionCallback fn, Local<Value> data) {
  exports->Set(ctx, String::NewFromUtf8(isolate, name).ToLocalChecked(),
               v8::FunctionTemplate::New(isolate, fn, data)->GetFunction(ctx).ToLocalChecked()).Check();
}

}  // namespace

// Context-aware: worker threads load it too (each gets its own Env).
NODE_MODULE_INIT(/* exports, module, context */) {
  // Never unloaded: Node dlcloses an addon when the last worker that loaded it exits, but the
  // SharedArrayBuffer deleter (Unmap) and the uv_close callback of this code may run after that.
  static std::once_flag pinned;
  std::call_once(pinned, [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&Unmap), &info) != 0 && info.dli_fname != nullptr) dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD);
  });
  Isolate* isolate = context->GetIsolate();
  Env* env = new Env();
  env->isolate = isolate;
  uv_async_init(node::GetCurrentEventLoop(isolate), &env->async, Deliver);
  env->async.data = env;
  uv_unref(reinterpret_cast<uv_handle_t*>(&env->async));
  node::AddEnvironmentCleanupHook(isolate, Cleanup, env);
  Local<Value> data = v8::External::New(isolate, env);
  Set(exports, context, isolate, "map", Map, data);
  Set(exports, context, isolate, "unlink", Unlink, data);
  Set(exports, context, isolate, "statfs", Statfs, data);
  Set(exports, context, isolate, "wait", Wait, data);
  Set(exports, context, isolate, "wake", Wake, data);
  Set(exports, context, isolate, "waiterOpen", WaiterOpen, data);
  Set(exports, context, isolate, "waiterWait", WaiterWait, data);
  Set(exports, context, isolate, "waiterClose", WaiterClose, data);
}
