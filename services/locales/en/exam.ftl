## Public subjects: courses, exam, remedial re-exam, content imports

content-import-done = Imported { $file }: { $rows } entries, { $added } added, { $updated } updated, { $unchanged } unchanged.
exam-reopened = Exam reopened for { $year }: { $extra } more attempts ({ $left } left now).
exam-reopened-request = The pending remedial request was approved.
exam-reopened-told = The person is told through the bot (accounts: { $accounts }), within the sending hours.
exam-reopened-not-told = The person has no account bound in the bot, so nobody was told; please tell them another way.
exam-not-found = No person with that ID number.
exam-no-policy = There is no policy file for { $year }.

table-json = not valid JSON at line { $line }: { $message }

import-bad-q-not-object = an entry must be a JSON object
import-bad-q-kind = question type "{ $value }" is not valid (single, multiple or truefalse)
import-bad-q-too-long = { $column } is longer than { $max } characters
import-bad-q-topic = topic "{ $value }" is not an elective topic of { $year }
import-bad-q-options-gap = options must be filled in from option_a without gaps
import-bad-q-truefalse-options = a true/false question has exactly two options (or none)
import-bad-q-options-few = a choice question needs at least two options
import-bad-q-answer-single = answer "{ $value }" must be one option letter
import-bad-q-answer-multiple = answer "{ $value }" must be option letters such as AC
import-bad-q-answer-truefalse = answer "{ $value }" must be 对/错 or true/false
import-bad-q-no-rows = the file holds no entries
import-bad-q-course = course "{ $value }" is not imported for this year; import the courses first
import-bad-q-course-topic = the topic differs from the topic of course "{ $value }"
import-bad-c-kind = course kind "{ $value }" is not valid (mandatory or elective)
import-bad-c-mandatory-topic = a mandatory course has no topic
import-bad-c-chapters = a course needs a list of chapters
import-bad-c-chapter = chapter { $number } needs a title, a body and, optionally, a media list
import-bad-c-mandatory-twice = a second mandatory course for { $year }
import-bad-c-mandatory-exists = the year already has the mandatory course { $code }

study-refused-closed = Public-subject study is not open now.
study-refused-already_done = You have already completed this for { $year }.
study-refused-no_course = The course for { $year } is not available yet.
study-refused-not_found = That course, chapter or exam no longer exists.
study-refused-locked = Please read the chapters in order.
study-refused-not_ready = Please read every chapter first.
study-refused-bad_answer = That answer is not valid for this question.
study-refused-busy = Many requests at once; please try again.
study-refused-course_unfinished = The exam opens once every chapter of the { $year } course is read.
study-refused-no_attempts_left = All { $allowed } attempts are used. You can ask for remedial study and a re-exam.
study-refused-not_enough_questions = The question bank is not ready yet ({ $available } questions).
study-refused-not_yours = This exam belongs to someone else.
study-refused-finished = This attempt has already ended.
study-refused-expired = This attempt ran out of time and counts as used.
study-refused-stale = That button is out of date; here is the current question.
study-refused-attempts_remain = You still have { $left } attempts; remedial study is for after all attempts are used.
study-refused-not_admin = Only an administrator can do this.
