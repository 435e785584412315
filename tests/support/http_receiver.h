#pragma once
// A real HTTP/1.1 server on a loopback port for the actor service's webhook and CAP tests: it
// records every request it answers and replies with the status the test sets. stop() closes the
// port (connections refused, as for a receiving system that is down); start() opens the same
// port again.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gw::testing {

class ReceiverSession;

struct RecordedRequest {
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

class HttpReceiver {
 public:
  // Listens on a free loopback port at once.
  HttpReceiver();
  ~HttpReceiver();

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void stop();
  void start();
  // The status of the next answers (200 by default).
  void setStatus(unsigned status) { status_ = status; }
  std::vector<RecordedRequest> requests() const;
  size_t count() const;
  // Instead of recording: hands every answered request to `handler` on the receiver's thread as
  // it arrives, before the answer is written (a load test that times arrivals and cannot keep
  // every request). Set it before the first request; keep it short, it holds the answer back.
  void setHandler(std::function<void(RecordedRequest&&)> handler);

 private:
  friend class ReceiverSession;
  void accept();
  void record(RecordedRequest request);

  int port_ = 0;
  std::atomic<unsigned> status_{200};
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::function<void(RecordedRequest&&)> handler_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::thread thread_;
};

}  // namespace gw::testing
