"""One error shape for the API: 4xx with {"error": {"code", "message"}}, never a 500 for bad input."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from kiosk.queue.errors import QueueError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
}


# For officers and citizens: a Vietnamese sentence per error code, next to the precise English message.
MESSAGES_VI = {
    "bad_request": "Yêu cầu không hợp lệ.",
    "unauthorized": "Vui lòng đăng nhập.",
    "forbidden": "Bạn không có quyền thực hiện thao tác này.",
    "csrf": "Phiên làm việc đã hết hạn, vui lòng tải lại trang.",
    "not_found": "Không tìm thấy.",
    "method_not_allowed": "Thao tác không được hỗ trợ.",
    "conflict": "Thao tác không thực hiện được.",
    "exists": "Đã tồn tại.",
    "illegal_transition": "Thao tác không hợp lệ ở trạng thái hiện tại.",
    "limit_reached": "Lĩnh vực này đã hết số trong ngày.",
    "person_limit_reached": "Công dân đã lấy đủ số lượt cho lĩnh vực này trong ngày.",
    # the public booking page (kiosk/web/api/appointments.py; the 429s say how long to wait: kiosk/web/booking_guard.py)
    "slot_full": "Giờ hẹn này đã hết chỗ. Quý khách vui lòng chọn giờ khác.",
    "not_a_slot": "Giờ này không nhận đặt lịch. Quý khách vui lòng chọn một giờ hẹn trong danh sách.",
    "too_far_ahead": "Ngày này chưa nhận (hoặc không còn nhận) đặt lịch. Quý khách vui lòng chọn ngày khác.",
    "already_booked": "Quý khách đã có một lịch hẹn cho lĩnh vực này. Muốn đổi giờ, Quý khách vui lòng hủy lịch "
                      "hẹn cũ trước.",
    "invalid_id_number": "Số CCCD gồm 12 chữ số. Quý khách vui lòng kiểm tra lại.",
    "invalid_full_name": "Quý khách vui lòng nhập họ và tên đúng như trên thẻ CCCD.",
    "invalid_id_tail": "Quý khách vui lòng nhập 4 số cuối của số CCCD đã dùng khi đặt lịch.",
    "appointment_not_found": "Mã hẹn hoặc 4 số cuối CCCD không đúng. Quý khách vui lòng kiểm tra lại.",
    "appointment_cancelled": "Lịch hẹn này đã được hủy trước đó.",
    "appointment_checked_in": "Lịch hẹn này đã được dùng để lấy số thứ tự, không thể hủy.",
    "appointment_expired": "Lịch hẹn này đã quá giờ, không thể hủy.",
    "service_closed": "Lĩnh vực này hiện không nhận hồ sơ.",
    "too_large": "Dữ liệu gửi lên quá lớn.",
    "unsupported_media_type": "Định dạng dữ liệu không được hỗ trợ.",
    "invalid": "Dữ liệu không hợp lệ.",
    "no_consent": "Chưa có sự đồng ý của công dân.",
    "internal": "Lỗi hệ thống, thao tác chưa được thực hiện.",
    "login_throttled": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút hoặc liên hệ quản trị viên "
                       "để mở khóa.",
    "wrong_password": "Mật khẩu hiện tại không đúng.",
    # the rating tablet at a counter (kiosk/web/pages/rate.py)
    "already_rated": "Lượt giao dịch này đã được đánh giá. Cảm ơn Quý khách.",
    "wrong_counter": "Lượt giao dịch này không được phục vụ tại quầy này.",
    "wrong_tablet": "Máy đánh giá này thuộc quầy khác.",
    "rating_expired": "Đã hết thời gian đánh giá tại quầy. Quý khách có thể đánh giá qua mã QR trên phiếu.",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, message_vi: str | None = None):
    """``message_vi``: a sentence for this answer (e.g. with the minutes to wait); else the code's."""
    response = jsonify({"error": {"code": code, "message": message,
                                  "message_vi": message_vi or MESSAGES_VI.get(code, "Thao tác không thực hiện được.")}})
    response.status_code = status
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(QueueError)
    def queue_error(exc: QueueError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_json():
            return error_response(status, HTTP_CODES.get(status, "error"), exc.description or exc.name)
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "internal", "internal error; the request was not applied")
        return "Lỗi hệ thống / Internal error", 500
