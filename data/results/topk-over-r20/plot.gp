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
set yrange [0.1404750753118644:5.2155637281430982]
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "topk, k = 4 fitted, k* = 3 true, normal design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('1000' 1000, '2000' 2000, '5000' 5000, '10000' 10000, '20000' 20000, '50000' 50000, '100000' 100000)
set ytics ('0.2' 0.20000000000000001, '0.5' 0.5, '1' 1, '2' 2, '5' 5)
bottom = 0.1404750753118644
lo(v) = v > bottom ? v : bottom
theory(x) = 47.483691708849541 * sqrt(log(x) / x)
mean_fit(x) = exp(2.5056122704449004) * x**-0.23305614571213648
median_fit(x) = exp(3.8064892669516497) * x**-0.40870231907769494
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 20 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.23305614571213648, -0.31158735028266266, -0.15452494114161031), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.40870231907769494, -0.52623586014098844, -0.29116877801440139), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "theory: c (log N / N)^{1/2}"
