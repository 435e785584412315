#include "gateway/sources/listeners/tcp_listener.h"

#include <spdlog/spdlog.h>

#include "gateway/core/listen_socket.h"

#include <boost/asio/post.hpp>
#include <deque>

#include "gateway/core/clock.h"
#include "gateway/sources/sensor/formats/json_reading.h"
#include "gateway/sources/sensor/formats/length_prefixed_readings.h"

namespace gw::sources {

namespace {
constexpr auto kBackpressurePause = std::chrono::milliseconds(10);
}  // namespace

class TcpListener::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(TcpListener& owner, boost::asio::ip::tcp::socket socket)
      : owner_(owner),
        socket_(std::move(socket)),
        pause_(socket_.get_executor()),
        decoder_(static_cast<uint32_t>(owner.config_.max_message_bytes)),
        buffer_(8192) {}

  void start() { read(); }
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    pause_.cancel();
  }

 private:
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(boost::asio::buffer(buffer_),
                            [this, self](boost::system::error_code ec, size_t n) {
                              if (ec) return finish();
                              if (!consume(std::string_view(buffer_.data(), n))) return finish();
                              drainThenRead();
                            });
  }

  // Offers the pending readings in order; while the pipeline is full, stops reading from the
  // socket (the sender's TCP window fills and it slows down) and tries again shortly.
  void drainThenRead() {
    while (!pending_.empty()) {
      if (owner_.intake_.offer(pending_.front()) == IntakeResult::kPipelineFull) {
        auto self = shared_from_this();
        pause_.expires_after(kBackpressurePause);
        pause_.async_wait([this, self](boost::system::error_code wait_ec) {
          if (!wait_ec) drainThenRead();
        });
        return;
      }
      pending_.pop_front();
    }
    read();
  }

  void hold(const ParseOutcome& outcome, int64_t now) {
    for (auto& reading : owner_.intake_.screen(outcome, now))
      pending_.push_back(std::move(reading));
  }

  // False when the connection must be closed.
  bool consume(std::string_view bytes) {
    const int64_t now = nowUnixMs();
    if (owner_.config_.format == WireFormat::kLengthPrefixedProtobuf) {
      for (auto& frame : decoder_.feed(bytes)) {
        if (!frame.ok()) {
          owner_.intake_.reject(decoder_.failed() ? "oversized" : "malformed",
                                frame.status().message());
          continue;
        }
        ParseOutcome outcome;
        gateway::v1::Reading reading = *frame;
        reading.set_source_id(owner_.config_.source_id);  // a sender cannot pose as another source
        outcome.addValue(reading, "frame", reading.quantity(), reading.unit(), reading.value());
        hold(outcome, now);
      }
      return !decoder_.failed();
    }
    line_.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = line_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(line_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      auto parsed = parseJsonReading(line, owner_.config_.source_id);
      if (!parsed.ok()) {
        owner_.intake_.reject("malformed", parsed.status().message());
        continue;
      }
      hold(*parsed, now);
    }
    line_.erase(0, start);
    if (line_.size() > owner_.config_.max_message_bytes) {
      owner_.intake_.reject("oversized", "line longer than " +
                                             std::to_string(owner_.config_.max_message_bytes) +
                                             " bytes; closing the connection");
      return false;
    }
    return true;
  }

  void finish() {
    close();
    owner_.sessions_.erase(shared_from_this());
  }

  TcpListener& owner_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer pause_;
  LengthPrefixedReadingDecoder decoder_;
  std::vector<char> buffer_;
  std::string line_;
  std::deque<gateway::v1::Reading> pending_;  // parsed and admitted, not yet accepted downstream
};

TcpListener::TcpListener(ListenerConfig config, boost::asio::any_io_executor executor,
                         pipeline::ReadingSink& sink, Counters& counters)
    : config_(std::move(config)),
      executor_(std::move(executor)),
      acceptor_(executor_),
      intake_(config_.source_id, config_.guard, sink, counters) {}

TcpListener::~TcpListener() {
  // Closing a session cancels its pause timer, which throws if the cancel fails; a destructor
  // must not throw, so the failure is logged and the remaining sessions are closed.
  for (const auto& s : sessions_) {
    try {
      s->close();
    } catch (const std::exception& e) {
      spdlog::warn("Source session close failed source={} error=\"{}\"", config_.source_id,
                   e.what());
    }
  }
}

void TcpListener::start() {
  bind_status_ = listenOn(acceptor_, config_.bind_address, config_.port, "TCP");
  if (!bind_status_.ok()) {
    spdlog::error("Source cannot listen source={} error=\"{}\"", config_.source_id,
                  bind_status_.message());
    return;
  }
  bound_port_ = acceptor_.local_endpoint().port();
  spdlog::info("Source listening source={} tcp={}:{}", config_.source_id, config_.bind_address,
               bound_port_);
  accept();
}

void TcpListener::stop() {
  boost::asio::post(executor_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    auto sessions = sessions_;
    for (const auto& s : sessions) s->close();
  });
}

void TcpListener::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (sessions_.size() >= config_.max_connections) {
        intake_.reject("too_many_connections", "limit " + std::to_string(config_.max_connections));
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        auto session = std::make_shared<Session>(*this, std::move(socket));
        sessions_.insert(session);
        session->start();
      }
    }
    accept();
  });
}

}  // namespace gw::sources
