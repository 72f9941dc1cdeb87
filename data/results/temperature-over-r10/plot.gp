# mixrate plot: gnuplot plot.gp (in this directory)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 1000,560 enhanced font 'sans,11'; set output 'plot.png'
} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {
    set terminal png size 1000,560; set output 'plot.png'
} else {
    set terminal svg size 1000,560; set output 'plot.svg'
} }
set datafile separator ','
set logscale xy
set xrange [831.76377110267094:120226.44346174129]
set yrange [0.25033162673537046:1.7847993269790723]
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "temperature, k = 3 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('1000' 1000, '2000' 2000, '5000' 5000, '10000' 10000, '20000' 20000, '50000' 50000, '100000' 100000)
set ytics ('0.3' 0.30000000000000004, '0.4' 0.40000000000000002, '0.5' 0.5, '0.6' 0.60000000000000009, '0.8' 0.80000000000000004, '1' 1, '1.5' 1.5)
bottom = 0.25033162673537046
lo(v) = v > bottom ? v : bottom
theory(x) = 19.176245755478689 * sqrt(log(x) / x)
mean_fit(x) = exp(1.0255995716726143) * x**-0.17081098061179381
median_fit(x) = exp(0.55200056567152045) * x**-0.13026353152805703
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 10 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.17081098061179381, -0.24535254624562014, -0.096269414977967496), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.13026353152805703, -0.23618112290974116, -0.024345940146372896), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "c (log N / N)^{1/2}, no proven rate"
