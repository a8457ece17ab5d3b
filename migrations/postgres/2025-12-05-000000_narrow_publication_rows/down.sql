ALTER TABLE publications RESET (toast_tuple_target);
