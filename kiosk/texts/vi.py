"""The Vietnamese catalogue: one sentence per API error code, and one per specific refusal with its values.

Staff pages and citizens' pages show ``message_vi`` only (kiosk/web/static/js/common.js), so every sentence
here is whole Vietnamese (no English word inside), polite to citizens ("Quý khách"), and NFC.
A refusal raised with ``text=KEY, values={...}`` gets ``REFUSALS[KEY]`` filled in; any other error its code's
sentence in ``ERRORS``. tests/core/test_texts_vi.py checks every code raised anywhere in kiosk/ is here.
"""
from __future__ import annotations

import unicodedata
from typing import Any

# Said when a code is unknown (a new code without its sentence fails tests/core/test_texts_vi.py).
GENERIC = "Thao tác không thực hiện được."

ERRORS = {
    # HTTP-level answers (kiosk/web/errors.py HTTP_CODES)
    "bad_request": "Yêu cầu gửi lên không đúng định dạng, thao tác chưa được thực hiện.",
    "unauthorized": "Vui lòng đăng nhập (hoặc dùng mã thiết bị) để thực hiện thao tác này.",
    "forbidden": "Tài khoản đang dùng không có quyền thực hiện thao tác này.",
    "csrf": "Phiên làm việc đã hết hạn, vui lòng tải lại trang.",
    "not_found": "Không tìm thấy mục được yêu cầu; có thể đã bị xóa hoặc địa chỉ không đúng.",
    "method_not_allowed": "Thao tác này không được hỗ trợ tại địa chỉ này.",
    "conflict": "Thao tác không thực hiện được vì trạng thái hiện tại không cho phép.",
    "too_large": "Dữ liệu gửi lên quá lớn.",
    "unsupported_media_type": "Định dạng dữ liệu gửi lên không được hỗ trợ.",
    "too_many_requests": "Thao tác quá nhiều lần trong thời gian ngắn, vui lòng thử lại sau ít phút.",
    "internal": "Lỗi hệ thống, thao tác chưa được thực hiện.",
    # the queue domain (kiosk/queue/errors.py)
    "invalid": "Dữ liệu nhập vào không hợp lệ, vui lòng kiểm tra lại.",
    "exists": "Mục này đã tồn tại.",
    "illegal_transition": "Thao tác không hợp lệ ở trạng thái hiện tại của quầy hoặc số thứ tự.",
    "wrong_counter": "Lượt giao dịch này không được phục vụ tại quầy này.",
    "wrong_tablet": "Máy đánh giá này thuộc quầy khác.",
    "rating_expired": "Đã hết thời gian đánh giá tại quầy. Quý khách có thể đánh giá qua mã QR trên phiếu.",
    "no_show_too_soon": "Số này vừa được gọi, chưa đủ thời gian tối thiểu để đánh dấu vắng mặt. Vui lòng chờ "
                        "công dân thêm ít phút hoặc gọi lại.",
    "invalid_dossier_code": "Mã hồ sơ không hợp lệ, vui lòng kiểm tra lại.",
    "invalid_note": "Ghi chú không hợp lệ, vui lòng kiểm tra lại.",
    "note_refused": "Không ghi được mã hồ sơ cho số thứ tự này.",
    "ticket_number_not_found": "Không có số thứ tự này trong ngày hôm nay. Vui lòng kiểm tra lại số vừa nhập.",
    "transfer_no_counter": "Không có quầy này để chuyển số đến.",
    "transfer_counter_not_serving": "Quầy được chọn không phục vụ lĩnh vực của số này, không thể chuyển đến.",
    "transfer_same_counter": "Số này đã ở quầy được chọn rồi.",
    "limit_reached": "Lĩnh vực này đã hết số trong ngày.",
    "person_limit_reached": "Quý khách đã lấy đủ số lượt cho lĩnh vực này trong ngày.",
    "service_closed": "Lĩnh vực này hiện không nhận hồ sơ.",
    "no_consent": "Chưa có sự đồng ý của công dân nên không lưu khuôn mặt.",
    # accounts
    "login_throttled": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút hoặc liên hệ quản trị viên "
                       "để mở khóa.",
    "wrong_password": "Mật khẩu hiện tại không đúng.",
    # the public booking page (kiosk/web/api/appointments.py; the 429s say how long to wait: kiosk/web/booking_guard.py)
    "slot_full": "Giờ hẹn này đã hết chỗ. Quý khách vui lòng chọn giờ khác.",
    "not_a_slot": "Giờ này không nhận đặt lịch. Quý khách vui lòng chọn một giờ hẹn trong danh sách.",
    "too_far_ahead": "Ngày này chưa nhận (hoặc không còn nhận) đặt lịch. Quý khách vui lòng chọn ngày khác.",
    "already_booked": "Quý khách đã có một lịch hẹn cho lĩnh vực này. Muốn đổi giờ, Quý khách vui lòng hủy lịch "
                      "hẹn cũ trước.",
    "invalid_id_number": "Số thẻ căn cước/CCCD gồm 12 chữ số. Quý khách vui lòng kiểm tra lại.",
    "invalid_full_name": "Quý khách vui lòng nhập họ và tên đúng như trên thẻ căn cước/CCCD.",
    "invalid_id_tail": "Quý khách vui lòng nhập 4 số cuối của số thẻ căn cước/CCCD đã dùng khi đặt lịch.",
    "appointment_not_found": "Mã hẹn hoặc 4 số cuối thẻ căn cước/CCCD không đúng. Quý khách vui lòng kiểm tra lại.",
    "appointment_booked": "Lịch hẹn này vẫn đang chờ Quý khách đến làm thủ tục.",
    "appointment_cancelled": "Lịch hẹn này đã được hủy trước đó.",
    "appointment_checked_in": "Lịch hẹn này đã được dùng để lấy số thứ tự, không thể hủy.",
    "appointment_expired": "Lịch hẹn này đã quá giờ, không thể hủy.",
    "outside_window": "Chưa đến (hoặc đã quá) giờ làm thủ tục cho lịch hẹn này: Quý khách vui lòng đến trong "
                      "khoảng 30 phút trước đến 15 phút sau giờ hẹn.",
    "booking_throttled": "Quý khách đã đặt quá nhiều lịch hẹn trong thời gian ngắn, vui lòng thử lại sau.",
    "booking_id_limit": "Quý khách đã đặt quá nhiều lịch hẹn với số thẻ căn cước/CCCD này, vui lòng thử lại sau.",
    "already_rated": "Lượt làm thủ tục này đã được đánh giá, cảm ơn Quý khách.",
    "cancel_throttled": "Quý khách đã nhập sai quá nhiều lần, vui lòng thử lại sau.",
    # devices
    "no_pager": "Trung tâm chưa lắp đặt trạm phát thẻ rung.",
    "no_terminal": "Kết nối này không thuộc một ki-ốt (thiếu mã thiết bị ki-ốt).",
    "card_out_of_range": "Số thẻ rung này không thuộc dải thẻ phát cho công dân.",
    "card_busy": "Thẻ rung này đang được dùng cho một số thứ tự khác.",
    "ticket_over": "Số thứ tự này đã được phục vụ xong, không cần thẻ rung.",
    "ticket_has_card": "Số thứ tự này đã được phát thẻ rung.",
    # the kiosk's camera frames over Socket.IO (kiosk/terminals/frames.py FrameRefused; too_large above)
    "not_jpeg": "Ảnh camera gửi lên không phải ảnh JPEG hợp lệ, ảnh này được bỏ qua.",
    "too_frequent": "Camera gửi ảnh nhanh hơn mức cho phép, ảnh này được bỏ qua.",
    "bad_message": "Dữ liệu camera gửi lên không đúng định dạng, ảnh này được bỏ qua.",
    "camera_off": "Ki-ốt này dùng camera riêng, không nhận ảnh từ camera của trình duyệt.",
    # the kiosk's reprint of the last ticket (kiosk/terminals/reprint.py) and its voice (kiosk/display/guidance.py)
    "reprint_not_last": "Chỉ in lại được phiếu vừa lấy tại ki-ốt này.",
    "reprint_expired": "Đã hết thời gian in lại phiếu. Quý khách vui lòng hỏi cán bộ hướng dẫn.",
    "reprint_limit": "Phiếu này đã được in lại đủ số lần cho phép. Quý khách vui lòng hỏi cán bộ hướng dẫn.",
    "reprint_printer": "Máy in đang tạm ngừng nên chưa in lại được phiếu. Quý khách vui lòng chụp lại số thứ tự "
                       "trên màn hình.",
    "voice_unavailable": "Ki-ốt tạm thời chưa đọc được hướng dẫn bằng giọng nói.",
}

# Specific refusals: the values of the case in the sentence (keys are raised as ``text=``).
REFUSALS = {
    # counters and tickets (kiosk/queue/transitions.py)
    "counter_no_current": "Quầy {counter} chưa gọi số nào để {verb}.",
    "ticket_wrong_state": "Không thể {verb} số {ticket}: số này {state}.",
    "counter_not_open_to_call": "Quầy {counter} đang {counter_state}: vui lòng mở quầy hoặc tiếp tục làm việc "
                                "trước khi gọi số.",
    "counter_busy_serving": "Quầy {counter} đang phục vụ số {ticket}: vui lòng kết thúc số này trước.",
    "counter_busy_called": "Quầy {counter} vừa gọi số {ticket}: vui lòng bắt đầu phục vụ hoặc đánh dấu vắng mặt "
                           "trước.",
    "counter_already": "Quầy {counter} đã {counter_state} rồi.",
    "counter_not_paused": "Quầy {counter} đang {counter_state}, không ở trạng thái tạm dừng.",
    "counter_not_open_to_pause": "Quầy {counter} đang {counter_state}: chỉ quầy đang mở mới tạm dừng được.",
    "counter_busy_to_leave": "Quầy {counter} đang có số {ticket}: vui lòng kết thúc, giữ lại hoặc chuyển số này "
                             "trước khi {verb}.",
    "ticket_not_waiting": "Số {ticket} {state}, không còn trong hàng chờ.",
    "ticket_not_held": "Số {ticket} {state}, không phải số đang được giữ lại.",
    "ticket_cannot_cancel": "Số {ticket} {state}: không thể hủy.",
    "ticket_state": "Số {ticket} {state}.",
    # the engine (kiosk/queue/engine.py)
    "no_service": "Không có lĩnh vực mã {service}.",
    "no_counter": "Không có quầy số {counter}.",
    "no_ticket": "Không tìm thấy số thứ tự này.",
    "counter_not_serving": "Quầy {counter} không phục vụ lĩnh vực {service}.",
    "ticket_held_elsewhere": "Số {ticket} đang được giữ lại tại quầy {holder}.",
    "ticket_same_service": "Số {ticket} đã ở lĩnh vực {service} rồi.",
    "ticket_other_counter": "Số {ticket} đang ở quầy {holder}, không phải quầy này.",
    # transfer to one counter (QueueEngine.transfer ``to_counter``, call_ticket)
    "transfer_no_counter": "Không có quầy số {counter} để chuyển số {ticket} đến.",
    "transfer_counter_not_serving": "Quầy {counter} không phục vụ lĩnh vực {service}, không thể chuyển số {ticket} "
                                    "đến quầy này.",
    "transfer_same_counter": "Số {ticket} đã ở quầy {counter} rồi.",
    "transfer_needs_target": "Vui lòng chọn lĩnh vực hoặc quầy để chuyển số đến.",
    "ticket_directed_elsewhere": "Số {ticket} đã được chuyển đến quầy {target}: chỉ quầy {target} gọi số này.",
    "service_closed_now": "Lĩnh vực {service} hiện không nhận hồ sơ.",
    "daily_limit": "Lĩnh vực {service} đã hết số trong ngày (tối đa {limit} số).",
    "person_daily_limit": "Quý khách đã lấy {count} số cho lĩnh vực {service} hôm nay (tối đa {limit}).",
    "prefix_exhausted": "Đã hết số thứ tự trong ngày cho tiền tố {prefix}.",
    # the dossier code and note of a ticket (kiosk/queue/dossier.py, kiosk/web/api/dossier.py)
    "dossier_code_invalid": "Mã hồ sơ gồm {min} đến {max} ký tự: chữ cái không dấu, chữ số và các dấu . - / _ "
                            "ở giữa (ví dụ 000.00.12.H26-241202-0001).",
    "note_invalid": "Ghi chú chỉ gồm một dòng, tối đa {max} ký tự.",
    "note_ticket_state": "Không ghi được mã hồ sơ cho số {ticket}: số này {state}.",
    "note_other_counter": "Số {ticket} được phục vụ tại quầy {holder}, không phải quầy của Quý khách: không ghi "
                          "được mã hồ sơ.",
    "note_too_late": "Số {ticket} đã kết thúc quá {minutes} phút: không còn ghi được mã hồ sơ tại quầy.",
    "note_no_counter": "Tài khoản này chưa được gán quầy nên không ghi được mã hồ sơ.",
    # appointments at the kiosk (kiosk/queue/appointments.py)
    "check_in_early": "Chưa đến giờ làm thủ tục. Quý khách vui lòng quay lại từ {at}.",
    "check_in_late": "Đã quá giờ làm thủ tục của lịch hẹn (đến {at}). Quý khách vui lòng lấy số thứ tự thông thường.",
    # the catalogue (kiosk/queue/catalog.py)
    "service_exists": "Lĩnh vực mã {service} đã tồn tại.",
    "prefix_taken": "Tiền tố {prefix} đã được dùng cho lĩnh vực {service}.",
    # staff (kiosk/web/security.py, kiosk/web/api/queue.py)
    "not_your_counter": "Tài khoản này chỉ thao tác được trên quầy của mình, không phải quầy {counter}.",
    "ticket_at_other_counter": "Số {ticket} đang ở quầy {holder}, không phải quầy của Quý khách.",
    "role_may_not": "Vai trò {role} không được thực hiện thao tác này.",
    # the kiosk's touches and camera reports over Socket.IO (kiosk/web/realtime/kiosk.py)
    "kiosk_choice_body": "Lựa chọn gửi lên không đúng định dạng. Quý khách vui lòng chạm lại vào ô cần chọn.",
    "kiosk_choice_unknown": "Lựa chọn này không có trên màn hình hiện tại. Quý khách vui lòng chạm lại vào ô cần chọn.",
    "camera_report_body": "Báo lỗi camera gửi lên không đúng định dạng.",
    # bad values where the raising code knows the field (kiosk/web/body.py, kiosk/queue/catalog.py, …);
    # {field} is the field's Vietnamese name (FIELDS below): a field without one says the code's sentence
    "field_required": "Chưa có {field}: thông tin này là bắt buộc.",
    "field_wrong_type": "{field} không đúng kiểu: cần {kind}.",
    "field_out_of_range": "{field} quá lớn hoặc quá nhỏ.",
    "field_text": "{field} phải là chữ.",
    "field_too_long": "{field} dài quá {max_len} ký tự.",
    "field_whole_number": "{field} phải là một số nguyên.",
    "field_between": "{field} phải là số nguyên từ {low} đến {high}.",
    "param_date": "{field} phải là một ngày dạng năm-tháng-ngày, ví dụ 2026-12-02.",
    "param_date_range": "{field} phải là một ngày từ {first} đến {last}.",
    "unknown_fields": "Dữ liệu gửi lên có thông tin không được nhận: {fields}.",
    "body_required": "Thao tác này cần dữ liệu gửi kèm nhưng không nhận được gì.",
    "body_too_deep": "Dữ liệu gửi lên lồng nhau quá {depth} tầng.",
    "body_bad_unicode": "Dữ liệu gửi lên có ký tự không hợp lệ.",
    "body_not_json": "Dữ liệu gửi lên không đúng định dạng JSON.",
    "body_not_object": "Dữ liệu gửi lên phải là một nhóm thông tin (đối tượng JSON), không phải một giá trị đơn lẻ.",
    "service_code_format": "Mã lĩnh vực gồm 1 đến 32 ký tự: chữ cái không dấu, chữ số, dấu gạch ngang hoặc gạch dưới.",
    "prefix_format": "Tiền tố gồm 1 hoặc 2 chữ cái in hoa từ A đến Z.",
    "counter_exists": "Quầy số {counter} đã tồn tại.",
    "counter_needs_service": "Mỗi quầy phải phục vụ ít nhất một lĩnh vực.",
    "service_listed_twice": "Lĩnh vực {service} được chọn hai lần cho cùng một quầy.",
    "ticket_number_format": "Số thứ tự gồm tiền tố và chữ số, ví dụ A012.",
    "ticket_id_number": "Mã lượt giao dịch phải là một số nguyên.",
    "card_number": "Số thẻ rung phải là một số từ 1 đến {max_card}.",
    "card_body": "Vui lòng gửi số thẻ rung hoặc nội dung mã QR trên thẻ (một trong hai).",
    # reports (kiosk/reports/query.py, monthly.py ReportError)
    "report_from_after_to": "Từ ngày phải trước hoặc trùng Đến ngày.",
    "report_too_long": "Một báo cáo gồm tối đa {max_days} ngày; với khoảng dài hơn, vui lòng dùng báo cáo tổng hợp "
                       "theo tháng.",
    "report_by": "Cách thống kê chưa đúng: chọn theo lĩnh vực, quầy, cán bộ, ngày hoặc giờ.",
    "report_format": "Định dạng tải về chỉ nhận JSON, CSV hoặc Excel (xlsx).",
    "report_year": "Năm phải từ {first} đến {last}.",
    # the kiosk's reprint of the last ticket (kiosk/terminals/reprint.py)
    "reprint_not_last": "Số {ticket} không phải phiếu vừa lấy tại ki-ốt này nên không in lại được.",
    "reprint_expired": "Đã quá {seconds} giây kể từ khi lấy số {ticket} nên không in lại được phiếu. Quý khách "
                       "vui lòng hỏi cán bộ hướng dẫn.",
    "reprint_limit": "Phiếu số {ticket} đã được in lại {count} lần, không in thêm được. Quý khách vui lòng hỏi "
                     "cán bộ hướng dẫn.",
    "reprint_printer": "Máy in đang tạm ngừng nên chưa in lại được phiếu số {ticket}. Quý khách vui lòng chụp lại "
                       "số thứ tự trên màn hình.",
    # settings, accounts, tokens, terminals and ratings (kiosk/queue, kiosk/accounts, kiosk/terminals)
    "field_minutes_between": "{field} phải là số phút từ {low} đến {high}.",
    "queue_setting_number": "Các thiết lập của hàng chờ (số lần gọi lại, thời gian tối thiểu) phải là số nguyên.",
    "priority_unknown": "Đối tượng ưu tiên không có trong danh sách của trung tâm.",
    "policy_unknown": "Cách xếp ưu tiên không đúng: chọn ưu tiên trước (strict), xen kẽ (interleave) hoặc cân bằng "
                      "thời gian chờ (wait_balanced).",
    "closing_time_format": "Giờ kết thúc ngày làm việc phải có dạng giờ:phút, ví dụ 17:30.",
    "counter_missing": "Không có quầy số {counter}.",
    "password_short": "Mật khẩu phải có ít nhất 8 ký tự.",
    "password_long": "Mật khẩu dài quá 200 ký tự.",
    "username_format": "Tên đăng nhập gồm 2 đến 40 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới hoặc "
                       "gạch ngang.",
    "role_unknown": "Vai trò được chọn không có trong danh sách.",
    "token_needs_counter": "Tài khoản hoặc mã thiết bị của {role} cần gắn với một quầy.",
    "user_exists": "Tên đăng nhập này đã có người dùng; vui lòng chọn tên khác.",
    "user_missing": "Không tìm thấy tài khoản này.",
    "token_missing": "Không tìm thấy mã thiết bị này, hoặc mã đã bị thu hồi.",
    "terminal_missing": "Không tìm thấy ki-ốt này.",
    "terminal_revoked": "Mã của ki-ốt này đã bị thu hồi; không thay đổi được thiết lập.",
    "terminal_camera": "Nguồn camera không hợp lệ: dùng trình duyệt của ki-ốt (browser), không dùng camera (none), "
                       "demo, số thứ tự thiết bị, /dev/videoN hoặc địa chỉ rtsp://.",
    "terminal_printer": "Địa chỉ máy in không hợp lệ; ví dụ serial:///dev/ttyUSB0, tcp://192.168.1.50:9100 hoặc "
                        "file:///đường/dẫn.",
    "terminal_pager_prefix": "Tiền tố mã QR của thẻ rung gồm 1 đến 16 chữ cái, chữ số, '_' hoặc '-', bắt đầu bằng "
                             "chữ cái và kết thúc bằng dấu ':' (ví dụ PAGER:).",
    "score_range": "Mức đánh giá là một số nguyên từ 1 (rất không hài lòng) đến 5 (rất hài lòng).",
    "rate_not_finished": "Chỉ đánh giá được sau khi lượt giao dịch đã hoàn tất.",
    "rate_window_passed": "Đã hết thời gian đánh giá lượt giao dịch này.",
    # citizens, bookings and staff pager cards (kiosk/citizens, kiosk/queue/appointments.py, kiosk/pager/cards.py)
    "citizen_missing": "Không tìm thấy công dân này; có thể dữ liệu đã được xóa theo yêu cầu.",
    "cccd_record_required": "Cần dữ liệu thẻ căn cước/CCCD có số định danh gồm 12 chữ số.",
    "consent_version_required": "Thiếu phiên bản nội dung xin đồng ý nên chưa ghi nhận sự đồng ý.",
    "face_templates_bad": "Dữ liệu khuôn mặt gửi lên không dùng được; chưa lưu gì.",
    "max_templates_min": "Số mẫu khuôn mặt giữ lại cho mỗi người phải là số nguyên, ít nhất là 1.",
    "slot_settings": "Mỗi giờ hẹn dài từ 5 đến 240 phút và nhận từ 1 đến 50 người.",
    "opening_hours_format": "Giờ nhận hẹn phải có dạng giờ:phút-giờ:phút, ví dụ 07:30-11:30.",
    "slot_time_zone": "Giờ hẹn gửi lên phải kèm múi giờ, ví dụ 2026-12-02T07:30:00+07:00.",
    "appointment_code_format": "Mã hẹn gồm 10 chữ cái và chữ số (mã cấp trước đây: 6 ký tự). Quý khách vui lòng "
                               "kiểm tra lại.",
    "appointment_code_missing": "Không tìm thấy lịch hẹn với mã này. Quý khách vui lòng kiểm tra lại mã hẹn.",
    "staff_cards_body": "Bảng thẻ rung của cán bộ phải ghép mỗi số thẻ với một số quầy.",
    "staff_card_number": "Số thẻ rung của cán bộ phải là một số.",
    "staff_card_is_citizens": "Thẻ rung số {low} đến {high} dành cho công dân, không gán cho cán bộ được.",
    "ticket_missing": "Không tìm thấy lượt giao dịch này.",
    # the web layer's own refusals (kiosk/web)
    "password_person_only": "Chỉ tài khoản đăng nhập của một người mới có mật khẩu; mã thiết bị không đổi mật khẩu.",
    "devices_missing": "Trung tâm chưa cài đặt thiết bị (thẻ rung, máy in, bảng LED) nào.",
    "announcement_missing": "Không có lời gọi này (có thể đã hết hạn).",
    "dossier_body": "Vui lòng gửi mã hồ sơ và/hoặc ghi chú, không gửi thông tin nào khác.",
    "guidance_missing": "Không có câu hướng dẫn bằng giọng nói này.",
    "figures_officer_only": "Chỉ tài khoản của cán bộ mới có số liệu riêng trong ngày.",
    "idempotency_key_format": "Khóa chống gửi trùng (Idempotency-Key) gồm 1 đến 100 chữ cái, chữ số hoặc -_.:",
    "id_number_format": "Số thẻ căn cước/CCCD gồm 12 chữ số.",
    "ticket_link_missing": "Không tìm thấy lượt giao dịch của đường dẫn này. Quý khách vui lòng quét lại mã QR "
                           "trên phiếu.",
    "pager_label_bad": "Nội dung mã QR của thẻ rung không đúng. Vui lòng quét lại mã trên thẻ.",
    "demo_only": "Các thiết bị mô phỏng chỉ chạy ở chế độ trình diễn (kiosk serve --demo).",
    "demo_card_missing": "Không có thẻ rung này trong bộ mô phỏng.",
    "demo_printer_flags": "Trạng thái máy in mô phỏng chỉ nhận đúng hoặc sai cho từng mục (giấy, nắp, lỗi).",
    "rating_tablet_only": "Chỉ máy đánh giá đã gắn với một quầy mới mở được trang đánh giá này.",
    "kiosk_only": "Chỉ ki-ốt lấy số mới thực hiện được thao tác này.",
    "camera_kiosk_off": "Ki-ốt này chưa bật chế độ lấy số không chạm bằng camera.",
    "pager_button_unknown": "Thẻ rung của cán bộ gửi một nút bấm không có trong danh sách; thao tác chưa được thực hiện.",
}

# The kiosk's spoken guidance (kiosk/display/guidance.py): one sentence per screen or question, said by the
# hall's voice on the terminal's speaker when [kiosk] voice_guidance is on. Never a name or any other personal
# data: each is rendered once and cached for every citizen; "ticket" says only the number ({number}).
GUIDANCE = {
    "welcome": "Kính chào Quý khách. Mời Quý khách chạm vào lĩnh vực cần làm thủ tục để lấy số thứ tự.",
    "card": "Kính chào Quý khách. Mời Quý khách đưa mã QR trên thẻ căn cước vào camera, hoặc chạm màn hình để "
            "chọn lĩnh vực.",
    "consent": "Quý khách có muốn lưu khuôn mặt để lần sau không cần đưa thẻ? Quý khách có thể từ chối mà vẫn "
               "lấy số bình thường.",
    "enrolling": "Quý khách vui lòng nhìn thẳng vào camera.",
    "confirm": "Quý khách vui lòng xác nhận tên hiện trên màn hình có đúng là Quý khách không.",
    "priority": "Quý khách từ 60 tuổi trở lên. Quý khách có muốn được ưu tiên không?",
    "services": "Mời Quý khách chọn lĩnh vực cần làm thủ tục.",
    "ticket": "Số thứ tự của Quý khách là {number}. Quý khách vui lòng nhận phiếu và chú ý loa gọi số.",
    "error": "Không lấy được số thứ tự. Quý khách vui lòng thử lại hoặc hỏi cán bộ hướng dẫn.",
    "service_closed": "Lĩnh vực này đang tạm ngừng nhận hồ sơ. Quý khách vui lòng chọn lĩnh vực khác.",
    "limit_reached": "Lĩnh vực này đã hết số thứ tự trong ngày hôm nay. Quý khách vui lòng hỏi cán bộ hướng dẫn.",
    "camera_lost": "Camera không hoạt động. Quý khách vui lòng chạm màn hình.",
    "reprint": "Phiếu của Quý khách đang được in lại.",
}

# API field names as they read in a sentence (REFUSALS' {field}): the ones staff can get wrong on a page.
FIELDS = {
    "service": "Lĩnh vực", "services": "Danh sách lĩnh vực", "counter": "Quầy", "number": "Số",
    "ticket": "Lượt giao dịch", "ticket_id": "Lượt giao dịch", "score": "Mức đánh giá", "comment": "Góp ý",
    "priority": "Đối tượng ưu tiên", "label": "Nội dung mã QR", "card": "Số thẻ rung", "slot": "Giờ hẹn",
    "finish_current": "Lựa chọn kết thúc số đang phục vụ", "name": "Tên", "name_en": "Tên tiếng Anh",
    "code": "Mã", "prefix": "Tiền tố", "daily_limit": "Số lượt tối đa trong ngày",
    "person_daily_limit": "Số lượt tối đa mỗi người trong ngày", "sla_minutes": "Thời gian chờ mục tiêu (phút)",
    "sort": "Thứ tự hiển thị", "max_waiting": "Số người chờ tối đa", "rank": "Thứ tự ưu tiên của lĩnh vực",
    "from": "Từ ngày", "to": "Đến ngày", "day": "Ngày", "date": "Ngày", "limit": "Số dòng", "days": "Số ngày",
    "terminal": "Ki-ốt", "reason": "Lý do", "note": "Ghi chú", "username": "Tên đăng nhập", "password": "Mật khẩu",
    "role": "Vai trò", "full_name": "Họ và tên", "id_number": "Số thẻ căn cước/CCCD", "phone": "Số điện thoại",
    "cards": "Bảng thẻ rung của cán bộ", "tile": "Lựa chọn",
    "auto_no_show_after_recalls": "Số lần gọi lại trước khi tự đánh dấu vắng mặt",
    "no_show_min_s": "Thời gian tối thiểu trước khi đánh dấu vắng mặt (giây)",
    "interleave_every": "Số lượt thường giữa hai lượt ưu tiên",
    "priority_bonus_minutes": "Số phút cộng thêm cho đối tượng ưu tiên",
    "idle_counter_minutes": "Thời gian quầy mở mà không phục vụ",
    "called_not_started_minutes": "Thời gian đã gọi mà chưa bắt đầu phục vụ",
}
# The kinds a field can expect (kiosk/web/body.py field()).
KINDS = {"int": "một số nguyên", "str": "chữ", "bool": "có hoặc không", "list": "một danh sách",
         "dict": "một nhóm thông tin", "float": "một số"}

# Verbs and states as they read inside the sentences above.
VERBS = {"recall": "gọi lại", "start": "bắt đầu phục vụ", "finish": "kết thúc", "no_show": "đánh dấu vắng mặt",
         "hold": "giữ lại", "transfer": "chuyển", "close": "đóng quầy", "pause": "tạm dừng", "cancel": "hủy"}
TICKET_STATES = {"waiting": "đang chờ", "called": "đã được gọi", "serving": "đang được phục vụ",
                 "served": "đã phục vụ xong", "no_show": "đã bị đánh dấu vắng mặt", "held": "đang được giữ lại",
                 "transferred": "đã được chuyển", "cancelled": "đã bị hủy", "expired": "đã hết hạn trong ngày",
                 "closed": "đã đóng cuối ngày"}
COUNTER_STATES = {"open": "mở", "paused": "tạm dừng", "closed": "đóng"}
ROLES = {"kiosk": "ki-ốt", "officer": "cán bộ", "manager": "lãnh đạo", "admin": "quản trị", "display": "màn hình",
         "device": "thiết bị", "rating": "máy đánh giá"}


def _word(table: dict[str, str], value: Any) -> Any:
    return table.get(value, value) if isinstance(value, str) else value


def error_vi(code: str, text: str | None = None, values: dict[str, Any] | None = None) -> str:
    """The sentence for a refusal: the specific one with its values where known, else the code's."""
    template = REFUSALS.get(text or "")
    if template is not None and ("field" not in (values or {}) or (values or {})["field"] in FIELDS):
        shown = dict(values or {})
        for key, table in (("verb", VERBS), ("state", TICKET_STATES), ("counter_state", COUNTER_STATES),
                           ("role", ROLES), ("field", FIELDS), ("kind", KINDS)):
            if key in shown:
                shown[key] = _word(table, shown[key])
        try:
            return unicodedata.normalize("NFC", template.format(**shown))
        except (KeyError, IndexError, ValueError):
            pass  # a raise site without all values: the code's sentence below still says what happened
    return ERRORS.get(code, GENERIC)


# The pages' texts (templates and scripts share them: kiosk/web/pages/texts.py); kept in their own file.
from kiosk.texts.vi_pages import PAGES  # noqa: E402


def page_texts() -> dict[str, str]:
    """Every text a page may show: PAGES, and each error code's sentence as "error.<code>" (a page that checks
    a value before sending it says what the server would)."""
    return {**PAGES, **{f"error.{code}": sentence for code, sentence in ERRORS.items()}}


def page_text(key: str, **values: Any) -> str:
    """A page's text with its values filled in; an unknown key is a bug (KeyError), caught by the tests."""
    text = ERRORS[key[6:]] if key.startswith("error.") else PAGES[key]
    return unicodedata.normalize("NFC", text.format(**values) if values else text)
