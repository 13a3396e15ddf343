// OrderedWorkers: threads that produce the results of items 0..count-1 in parallel, at most
// `window` items ahead of one consumer that takes them strictly in item order. Parallel work
// consumed in a fixed order is what makes the readers independent of the thread count.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"

namespace ctr {

template <class Result>
class OrderedWorkers {
 public:
  // Fills `out` with the result of item `index`. `out` is a slot reused across items, so its
  // buffers keep their capacity. Exceptions are handed to the consumer with the item.
  using Work = std::function<void(size_t index, Result& out)>;

  OrderedWorkers(int threads, size_t window, Work work) : work_(std::move(work)), slots_(window) {
    CTR_CHECK(threads > 0 && window > 0, "threads {} window {}", threads, window);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }
  // Joins the threads; each finishes at most the one item it is working on.
  ~OrderedWorkers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
      running_ = false;
    }
    work_cv_.notify_all();
    ready_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  OrderedWorkers(const OrderedWorkers&) = delete;
  OrderedWorkers& operator=(const OrderedWorkers&) = delete;

  // Begins a run over items 0..count-1, discarding anything left of the previous run.
  // Call only while stopped (initially, or after stop()) and with no slot held by the consumer.
  void start(size_t count) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      CTR_CHECK(!running_ && busy_ == 0, "start() while a run is active");
      for (Slot& s : slots_) s.reset();
      count_ = count;
      claimed_ = taken_ = 0;
      running_ = true;
    }
    work_cv_.notify_all();
  }

  // Ends the run: no new items are handed out, a consumer blocked in next() wakes with nullptr,
  // and this returns once no thread is inside Work, so the caller may change what Work reads.
  void stop() {
    std::unique_lock<std::mutex> lock(mu_);
    running_ = false;
    ready_cv_.notify_all();
    idle_cv_.wait(lock, [this] { return busy_ == 0; });
  }

  // The result of the next item in order, or nullptr when the run is complete or stopped.
  // Rethrows the item's exception (again on every call, until the next start()). The slot
  // belongs to the consumer until release().
  Result* next() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_cv_.wait(lock, [this] { return !running_ || taken_ == count_ || slot(taken_).done; });
    if (!running_ || taken_ == count_) return nullptr;
    Slot& s = slot(taken_);
    if (s.error) std::rethrow_exception(s.error);
    return &s.result;
  }

  // Gives the slot returned by next() back to the workers.
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      slot(taken_).reset();
      ++taken_;
    }
    work_cv_.notify_all();
  }

 private:
  struct Slot {
    Result result{};
    bool done = false;
    std::exception_ptr error;
    void reset() {
      done = false;
      error = nullptr;
    }
  };

  Slot& slot(size_t index) { return slots_[index % slots_.size()]; }
  bool can_claim() const { return running_ && claimed_ < count_ && claimed_ < taken_ + slots_.size(); }

  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [this] { return shutdown_ || can_claim(); });
      if (shutdown_) return;
      const size_t index = claimed_++;
      Slot& s = slot(index);
      ++busy_;
      lock.unlock();
      std::exception_ptr error;
      try {
        work_(index, s.result);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      --busy_;
      s.done = true;
      s.error = error;
      ready_cv_.notify_all();
      if (busy_ == 0) idle_cv_.notify_all();
    }
  }

  Work work_;
  std::vector<Slot> slots_;  // item i lives in slot i % window
  std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_, idle_cv_;
  size_t count_ = 0, claimed_ = 0, taken_ = 0;
  int busy_ = 0;  // threads inside Work
  bool running_ = false, shutdown_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ctr
